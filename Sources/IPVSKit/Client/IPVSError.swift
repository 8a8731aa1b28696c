#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The IPVS command an error belongs to; it decides which ipvsadm message an errno maps to.
public enum IPVSCommand: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `IPVS_CMD_NEW_SERVICE`: add a service.
    case newService = 1
    /// `IPVS_CMD_SET_SERVICE`: edit a service.
    case setService = 2
    /// `IPVS_CMD_DEL_SERVICE`: delete a service.
    case deleteService = 3
    /// `IPVS_CMD_GET_SERVICE`: read one service, or dump all.
    case getService = 4
    /// `IPVS_CMD_NEW_DEST`: add a destination.
    case newDestination = 5
    /// `IPVS_CMD_SET_DEST`: edit a destination.
    case setDestination = 6
    /// `IPVS_CMD_DEL_DEST`: delete a destination.
    case deleteDestination = 7
    /// `IPVS_CMD_GET_DEST`: dump a service's destinations.
    case getDestination = 8
    /// `IPVS_CMD_NEW_DAEMON`: start a sync daemon.
    case newDaemon = 9
    /// `IPVS_CMD_DEL_DAEMON`: stop a sync daemon.
    case deleteDaemon = 10
    /// `IPVS_CMD_GET_DAEMON`: dump the sync daemons.
    case getDaemon = 11
    /// `IPVS_CMD_SET_CONFIG`: set timeouts (ipvsadm's `IPVS_CMD_SET_TIMEOUT`).
    case setConfig = 12
    /// `IPVS_CMD_GET_CONFIG`: read timeouts.
    case getConfig = 13
    /// `IPVS_CMD_SET_INFO`: the kernel's reply to ``getInfo``.
    case setInfo = 14
    /// `IPVS_CMD_GET_INFO`: version and connection table size.
    case getInfo = 15
    /// `IPVS_CMD_ZERO`: zero counters.
    case zero = 16
    /// `IPVS_CMD_FLUSH`: delete every service.
    case flush = 17

    /// The kernel's command name (`IPVS_CMD_NEW_SERVICE` without the prefix, in lower case).
    public var description: String {
        switch self {
        case .newService: "new-service"
        case .setService: "set-service"
        case .deleteService: "del-service"
        case .getService: "get-service"
        case .newDestination: "new-dest"
        case .setDestination: "set-dest"
        case .deleteDestination: "del-dest"
        case .getDestination: "get-dest"
        case .newDaemon: "new-daemon"
        case .deleteDaemon: "del-daemon"
        case .getDaemon: "get-daemon"
        case .setConfig: "set-config"
        case .getConfig: "get-config"
        case .setInfo: "set-info"
        case .getInfo: "get-info"
        case .zero: "zero"
        case .flush: "flush"
        }
    }
}

/// Everything that can go wrong talking to IPVS. Kernel refusals keep the kernel's errno (ESRCH and ENOENT stay
/// apart, unlike libnl's folded codes).
public enum IPVSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kernel refused `command` with `errno`.
    case kernel(command: IPVSCommand, errno: Int32)
    /// The IPVS generic-netlink family is not registered: the kernel has no IPVS or the module is not loaded.
    case unavailable(detail: String)
    /// No reply arrived within the client's timeout.
    case timeout(command: IPVSCommand)
    /// An argument was refused before anything was sent; the text names it.
    case invalidArgument(String)
    /// A reply could not be decoded; the text says what was wrong.
    case malformedReply(String)
    /// A system call failed (socket, send, receive, namespace switch); `what` names it.
    case system(what: String, errno: Int32)
    /// The acknowledgement of a batched operation never arrived (the receive buffer overflowed).
    case acknowledgementLost(command: IPVSCommand)

    /// The kernel's errno, for kernel refusals and system-call failures.
    public var errno: Int32? {
        switch self {
        case .kernel(_, let e), .system(_, let e): e
        default: nil
        }
    }

    /// The text ipvsadm prints for this error (its `ipvs_strerror` table, then `strerror`).
    public var ipvsadmMessage: String {
        switch self {
        case .kernel(let command, let e):
            return IPVSError.ipvsadmMessage(command: command, errno: e)
        case .unavailable:
            return "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?"
        case .timeout:
            return "Connection timed out"
        case .system(_, let e):
            return IPVSError.strerror(e)
        default:
            return description
        }
    }

    /// ipvsadm 1.31's `ipvs_strerror`: per-command messages first, then errno-wide ones, then `strerror`.
    public static func ipvsadmMessage(command: IPVSCommand, errno e: Int32) -> String {
        switch (command, e) {
        case (.newService, EEXIST): return "Service already exists"
        case (.newService, ENOENT), (.setService, ENOENT): return "Scheduler or persistence engine not found"
        case (.setService, ESRCH), (.deleteService, ESRCH), (.zero, ESRCH): return "No such service"
        case (.newDestination, ESRCH), (.setDestination, ESRCH), (.deleteDestination, ESRCH): return "Service not defined"
        case (.newDestination, EEXIST): return "Destination already exists"
        case (.setDestination, ENOENT), (.deleteDestination, ENOENT): return "No such destination"
        case (.newDaemon, EEXIST): return "Daemon has already run"
        case (.deleteDaemon, ESRCH): return "No daemon is running"
        case (_, EPERM): return "Permission denied (you must be root)"
        case (_, EINVAL): return "Invalid operation.  Possibly wrong module version, address not unicast, ..."
        case (_, ENOPROTOOPT): return "Protocol not available"
        case (_, ENOMEM): return "Memory allocation problem"
        case (_, EOPNOTSUPP): return "Operation not supported with IPv6"
        case (_, EAFNOSUPPORT): return "Operation not supported with specified address family"
        case (_, EMSGSIZE): return "Module is wrong version"
        default: return strerror(e)
        }
    }

    /// `strerror(3)` as a Swift string.
    public static func strerror(_ e: Int32) -> String {
        guard let p = Glibc.strerror(e) else { return "errno \(e)" }
        return String(cString: p)
    }

    /// A one-line explanation naming the command and the cause.
    public var description: String {
        switch self {
        case .kernel(let c, let e): "\(c): \(IPVSError.ipvsadmMessage(command: c, errno: e)) (errno \(e))"
        case .unavailable(let d):
            "IPVS is not available in this kernel (\(d)); load it with 'modprobe ip_vs' or use a kernel built with CONFIG_IP_VS"
        case .timeout(let c): "\(c): no reply from the kernel within the timeout"
        case .invalidArgument(let s): s
        case .malformedReply(let s): "malformed netlink reply: \(s)"
        case .system(let w, let e): "\(w): \(IPVSError.strerror(e))"
        case .acknowledgementLost(let c): "\(c): acknowledgement lost (netlink receive buffer overflow)"
        }
    }
}
