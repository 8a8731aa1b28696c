import Dispatch
import Foundation
import IPVSKit

/// Start-up work that needs no configuration, done on another core while the main thread reads the configuration:
/// signal handling and the netlink socket. ``wait()`` hands them over once the configuration is read.
public final class StartupPreparation: @unchecked Sendable {
    // @unchecked: `prepared` is written once by the helper thread before it signals `done`, and read only after
    // waiting on `done`.
    private let done = DispatchSemaphore(value: 0)
    private var prepared: (signals: SignalSource, ipvs: Result<IPVSClient, IPVSError>)?

    /// Starts the work on a thread of its own.
    public init() {
        let thread = Thread { [self] in
            prepared = Self.prepare()
            done.signal()
        }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Waits for the work and returns the signal source and the netlink client (or why there is none).
    public func wait() -> (signals: SignalSource, ipvs: Result<IPVSClient, IPVSError>) {
        done.wait()
        // The thread always sets `prepared` before signalling; were it ever missing, the work is done here.
        return prepared ?? Self.prepare()
    }

    private static func prepare() -> (signals: SignalSource, ipvs: Result<IPVSClient, IPVSError>) {
        // Signals first: from here on a SIGTERM or SIGHUP during the start is queued, not fatal.
        let signals = SignalSource()
        return (signals, Result { () throws(IPVSError) -> IPVSClient in try IPVSClient() })
    }
}
