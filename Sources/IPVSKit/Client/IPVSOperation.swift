#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One change to the kernel's IPVS tables; a batch is an array of these (see ``IPVSClient/perform(_:)``).
public enum IPVSOperation: Sendable, Hashable, CustomStringConvertible {
    /// Add a service (`ipvsadm -A`).
    case addService(Service)
    /// Edit a service in place (`ipvsadm -E`); connections survive.
    case editService(Service)
    /// Delete a service and its destinations (`ipvsadm -D`).
    case deleteService(ServiceKey)
    /// Add a destination to a service (`ipvsadm -a`).
    case addDestination(Destination, service: ServiceKey)
    /// Edit a destination in place (`ipvsadm -e`); connections survive.
    case editDestination(Destination, service: ServiceKey)
    /// Delete a destination (`ipvsadm -d`).
    case deleteDestination(DestinationKey, service: ServiceKey)
    /// Zero the counters of one service, or of all (`ipvsadm -Z`).
    case zero(ServiceKey?)
    /// Delete every service (`ipvsadm -C`).
    case flush
    /// Set connection timeouts; a zero field is left unchanged (`ipvsadm --set`).
    case setTimeouts(Timeouts)
    /// Start a sync daemon (`ipvsadm --start-daemon`).
    case startDaemon(SyncDaemon)
    /// Stop a sync daemon (`ipvsadm --stop-daemon`).
    case stopDaemon(SyncDaemonState)

    /// The kernel command this operation sends.
    public var command: IPVSCommand {
        switch self {
        case .addService: .newService
        case .editService: .setService
        case .deleteService: .deleteService
        case .addDestination: .newDestination
        case .editDestination: .setDestination
        case .deleteDestination: .deleteDestination
        case .zero: .zero
        case .flush: .flush
        case .setTimeouts: .setConfig
        case .startDaemon: .newDaemon
        case .stopDaemon: .deleteDaemon
        }
    }

    /// A short description such as `new-dest TCP 10.0.0.1:80 -> 10.0.0.2:80`.
    public var description: String {
        switch self {
        case .addService(let s), .editService(let s): "\(command) \(s.key)"
        case .deleteService(let k): "\(command) \(k)"
        case .addDestination(let d, let k), .editDestination(let d, let k): "\(command) \(k) -> \(d.key)"
        case .deleteDestination(let d, let k): "\(command) \(k) -> \(d)"
        case .zero(let k): k.map { "\(command) \($0)" } ?? "\(command) all"
        case .flush: "\(command)"
        case .setTimeouts(let t): "\(command) \(t.tcp) \(t.tcpFin) \(t.udp)"
        case .startDaemon(let d): "\(command) \(d.state) \(d.interface)"
        case .stopDaemon(let s): "\(command) \(s)"
        }
    }

    /// Refuses, before anything is sent, what the kernel would refuse or misread: ``validateRequest()``, then
    /// ``validateDestinationSettings()``.
    public func validate() throws(IPVSError) {
        try validateRequest()
        try validateDestinationSettings()
    }

    /// The checks the kernel makes (or would get wrong) while it reads the request, before it looks the service up:
    /// names, firewall mark 0, an IPv6 persistence prefix, a sync daemon's group.
    func validateRequest() throws(IPVSError) {
        switch self {
        case .addService(let s), .editService(let s):
            try Self.validateKey(s.key)
            try Self.validateName(s.scheduler, what: "scheduler name", allowEmpty: false)
            if let pe = s.persistenceEngine { try Self.validateName(pe, what: "persistence engine name", allowEmpty: true) }
            if s.key.family == .inet6, s.flags.contains(.persistent), !(1...128).contains(s.netmask) {
                throw .invalidArgument("invalid IPv6 persistence prefix length \(s.netmask) for \(s.key): must be 1 to 128")
            }
            // Any IPv4 netmask is accepted, contiguous or not, as ipvsadm and the kernel accept it.
        case .deleteService(let k):
            try Self.validateKey(k)
        case .zero(let k):
            if let k { try Self.validateKey(k) }
        case .addDestination(_, let k), .editDestination(_, let k):
            try Self.validateKey(k)
        case .deleteDestination(let d, let k):
            try Self.validateKey(k)
            try Self.validateDestination(d, service: k, forwarding: .tunnel)
        case .startDaemon(let d):
            try Self.validateName(d.interface, what: "multicast interface name", allowEmpty: false)
            if let g = d.group {
                let multicast: Bool
                switch g {
                case .v4(let v): multicast = v >> 28 == 0xE
                case .v6(let hi, _): multicast = hi >> 56 == 0xFF
                }
                if !multicast { throw .invalidArgument("sync daemon group \(g) is not a multicast address") }
            }
        case .flush, .setTimeouts, .stopDaemon:
            break
        }
    }

    /// The checks the kernel makes of a destination to add or edit only once it has found the service, in the
    /// kernel's order (`ip_vs_genl_set_cmd`, then `ip_vs_add_dest`/`ip_vs_edit_dest`): address family, weight, lower
    /// threshold above upper, GUE tunnel port. The kernel answers a missing service (`ESRCH`) before any of these,
    /// and these before a missing or existing destination (`ENOENT`, `EEXIST`); ``IPVSClient/perform(_:)`` keeps
    /// that order.
    func validateDestinationSettings() throws(IPVSError) {
        switch self {
        case .addDestination(let d, let k), .editDestination(let d, let k):
            try Self.validateDestination(d.key, service: k, forwarding: d.forwarding)
            if d.weight < 0 { throw .invalidArgument("invalid weight \(d.weight) for \(d.key): must be 0 to \(Int32.max)") }
            if d.lowerThreshold > d.upperThreshold, d.upperThreshold != 0 {
                throw .invalidArgument("lower threshold \(d.lowerThreshold) exceeds upper threshold \(d.upperThreshold) for \(d.key)")
            }
            if d.forwarding == .tunnel, d.tunnel.type == .gue, d.tunnel.port == 0 {
                throw .invalidArgument("GUE tunnel to \(d.key) needs a tunnel port")
            }
        default:
            break
        }
    }

    /// The errno the kernel answers a request with when it makes the check that ``validate()`` refused it for
    /// (`ERANGE` for a negative weight or a lower threshold above the upper one, else `EINVAL`): what ipvsadm would
    /// print for it.
    public var kernelErrnoForRefusal: Int32 {
        switch self {
        case .addDestination(let d, _), .editDestination(let d, _):
            if d.weight < 0 || d.lowerThreshold > d.upperThreshold { return ERANGE }
            return EINVAL
        default:
            return EINVAL
        }
    }

    private static func validateKey(_ k: ServiceKey) throws(IPVSError) {
        if case .firewallMark(let m, _) = k, m == 0 {
            throw .invalidArgument("firewall mark 0 is not a valid service")
        }
    }

    private static func validateDestination(_ d: DestinationKey, service: ServiceKey, forwarding: ForwardingMethod) throws(IPVSError) {
        if d.address.family != service.family, forwarding != .tunnel {
            throw .invalidArgument("destination \(d) is \(d.address.family == .inet ? "IPv4" : "IPv6") but service \(service) is not; mixed families need tunnel forwarding")
        }
    }

    private static func validateName(_ name: String, what: String, allowEmpty: Bool) throws(IPVSError) {
        if name.utf8.count > 15 { throw .invalidArgument("\(what) '\(name)' is longer than 15 characters") }
        if !allowEmpty, name.isEmpty { throw .invalidArgument("\(what) is empty") }
        if name.utf8.contains(0) { throw .invalidArgument("\(what) contains a NUL byte") }
    }

    /// The service of a destination to add or edit: the one ``validateDestinationSettings()`` refusals wait for.
    var serviceOfDestination: ServiceKey? {
        switch self {
        case .addDestination(_, let k), .editDestination(_, let k): k
        default: nil
        }
    }

    /// Encodes a request for the service `key` (`IPVS_CMD_GET_SERVICE`, acknowledged), sent in the place of a
    /// destination operation that ``validateDestinationSettings()`` refused. The kernel answers it as it would have
    /// begun to answer the operation: `ESRCH` for a missing service (`EPERM` without the capability); an ACK means
    /// the service exists, and the refusal is the answer.
    static func encodeServiceProbe(_ key: ServiceKey, into w: inout NetlinkWriter, family: UInt16, sequence: UInt32, port: UInt32) {
        let m = w.beginMessage(type: family, flags: NL.request | NL.ack, sequence: sequence, port: port,
                               command: IPVSCommand.getService.rawValue)
        w.service(Service(key: key), full: false)
        w.endMessage(m)
    }

    /// Appends this operation as one request message.
    /// Encodes the request. With `acknowledge` false the kernel answers only if the request fails (netlink sends
    /// an error for every failed request, an ACK for a successful one only when `NLM_F_ACK` asks for it).
    func encode(into w: inout NetlinkWriter, family: UInt16, sequence: UInt32, port: UInt32, acknowledge: Bool = true) {
        let flags = acknowledge ? NL.request | NL.ack : NL.request
        let m = w.beginMessage(type: family, flags: flags, sequence: sequence, port: port, command: command.rawValue)
        switch self {
        case .addService(let s), .editService(let s):
            w.service(s, full: true)
        case .deleteService(let k):
            w.service(Service(key: k), full: false)
        case .addDestination(let d, let k), .editDestination(let d, let k):
            w.service(Service(key: k), full: false)
            w.destination(d, full: true)
        case .deleteDestination(let d, let k):
            w.service(Service(key: k), full: false)
            w.destination(Destination(address: d.address, port: d.port), full: false)
        case .zero(let k):
            if let k { w.service(Service(key: k), full: false) }
        case .flush:
            break
        case .setTimeouts(let t):
            w.u32(CmdAttr.timeoutTCP, t.tcp)
            w.u32(CmdAttr.timeoutTCPFin, t.tcpFin)
            w.u32(CmdAttr.timeoutUDP, t.udp)
        case .startDaemon(let d):
            w.daemon(d, full: true)
        case .stopDaemon(let s):
            w.daemon(SyncDaemon(state: s, interface: ""), full: false)
        }
        w.endMessage(m)
    }
}
