import Director
import IPVSKit
import Synchronization

/// Reads the kernel table for the status report and the metrics, on a thread of its own with a netlink socket of
/// its own: a read waits at most ``limit`` (then the answer has no kernel figures), and a reply that never comes
/// holds up neither the director's changes nor the checks.
public final class KernelReader: Sendable {
    private let thread = WorkerThread(name: "lvsd-reader")
    private let open: @Sendable () -> (any IPVSTableAccess)?
    private let client = ClientSlot()
    /// How long a caller waits for a table.
    public let limit: Duration

    /// Creates a reader whose socket `open` makes on first use (``IPVSClient`` by default).
    public init(limit: Duration = .seconds(2),
                open: @escaping @Sendable () -> (any IPVSTableAccess)? = { try? IPVSClient() }) {
        self.limit = limit
        self.open = open
    }

    /// The kernel's table, or nil when it could not be read within ``limit``.
    public func table() async -> [ServiceEntry]? {
        let open = self.open, client = self.client
        return await thread.run(within: limit) { () -> [ServiceEntry]? in
            let socket = client.get(orMake: open)
            return try? socket?.table()
        } ?? nil
    }

    /// Ends the thread.
    public func shutdown() async {
        await thread.shutdown()
    }
}

/// The reader's socket, made on first use.
private final class ClientSlot: Sendable {
    private let client = Mutex<(any IPVSTableAccess)?>(nil)

    func get(orMake make: () -> (any IPVSTableAccess)?) -> (any IPVSTableAccess)? {
        client.withLock { current in
            if current == nil { current = make() }
            return current
        }
    }
}
