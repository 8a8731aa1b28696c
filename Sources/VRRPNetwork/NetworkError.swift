import CLibNLRoute
#if canImport(Glibc)
import Glibc
#endif

/// Why a VRRPNetwork operation failed: what was being done (naming the address and the interface), and the
/// kernel's errno or libnl's `NLE_*` code.
///
/// ```
/// VRRPNetwork: add address 10.0.0.100/24 label eth0:vip to eth0 (index 2): Operation not permitted (errno 1)
/// ```
public struct NetworkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where the code comes from.
    public enum Code: Hashable, Sendable {
        /// A system call's errno.
        case errno(Int32)
        /// libnl's error code (positive `NLE_*`; libnl folds the kernel's errno into these).
        case netlink(Int32)
        /// A request this library refuses before it reaches the kernel (an invalid prefix, label, family, ...).
        case invalid(String)
    }

    /// What was being done, naming the address and interface: `add address 10.0.0.100/24 to eth0 (index 2)`.
    public var operation: String
    /// The error code.
    public var code: Code

    /// Creates an error.
    public init(_ operation: String, _ code: Code) {
        self.operation = operation
        self.code = code
    }

    /// The errno, when the failure came from a system call.
    public var errno: Int32? {
        if case .errno(let e) = code { return e }
        return nil
    }

    public var description: String {
        switch code {
        case .errno(let e): "VRRPNetwork: \(operation): \(String(cString: strerror(e))) (errno \(e))"
        case .netlink(let e): "VRRPNetwork: \(operation): \(String(cString: nl_geterror(e))) (libnl error \(e))"
        case .invalid(let why): "VRRPNetwork: \(operation): \(why)"
        }
    }
}
