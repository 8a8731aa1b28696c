#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the control socket could not be opened.
public struct ControlServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// Another process (another lvsd) accepts connections on the socket.
        case alreadyInUse
        /// Something other than a socket is at the path; it is left alone.
        case notASocket
        /// The path does not fit in a `sockaddr_un` (107 bytes on Linux).
        case pathTooLong
        /// A system call failed with this errno.
        case system(operation: String, errno: Int32)
        /// Binding failed for another reason.
        case bindFailed(String)
        /// ``ControlServer/start()`` was called on a server that is running or stopped.
        case alreadyStarted
    }

    /// What went wrong.
    public let kind: Kind
    /// The socket path.
    public let path: String

    /// Creates an error.
    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// A one-line message naming the socket path.
    public var description: String {
        switch self.kind {
        case .alreadyInUse:
            "control socket \(self.path) is in use: is another lvsd running?"
        case .notASocket:
            "control socket path \(self.path) exists and is not a socket; not replacing it"
        case .pathTooLong:
            "control socket path \(self.path) is too long for a Unix socket"
        case .system(let operation, let code):
            "control socket \(self.path): \(operation): \(String(cString: strerror(code)))"
        case .bindFailed(let reason):
            "control socket \(self.path): cannot listen: \(reason)"
        case .alreadyStarted:
            "control socket \(self.path): server already started"
        }
    }
}
