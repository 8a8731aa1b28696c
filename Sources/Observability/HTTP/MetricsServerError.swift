/// Why the metrics endpoint could not be started.
public struct MetricsServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The listen address could not be parsed.
        case invalidListenAddress(String)
        /// Binding failed (address in use, not an address of this host, permission denied, ...).
        case bindFailed(address: String, reason: String)
        /// ``MetricsServer/start()`` was called on a server that is running or stopped.
        case alreadyStarted
    }

    /// What went wrong.
    public let kind: Kind

    /// Creates an error.
    public init(kind: Kind) {
        self.kind = kind
    }

    /// A one-line message naming the address.
    public var description: String {
        switch self.kind {
        case .invalidListenAddress(let text):
            "invalid metrics listen address '\(text)' (expected ADDRESS:PORT, [IPV6]:PORT or PORT)"
        case .bindFailed(let address, let reason):
            "cannot serve metrics on \(address): \(reason)"
        case .alreadyStarted:
            "metrics server already started"
        }
    }
}
