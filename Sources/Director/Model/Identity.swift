import IPVSKit

/// What identifies a virtual server across reloads, as keepalived does (`vs_iseq`): a kernel service key, or a
/// virtual-server-group name.
public enum VirtualServerID: Hashable, Sendable, CustomStringConvertible {
    /// `virtual_server IP PORT` or `virtual_server fwmark N`.
    case service(ServiceKey)
    /// `virtual_server group NAME`.
    case group(String)

    /// keepalived's `FMT_VS`: `[10.0.0.1]:tcp:80`, `FWM 7` or `[NAME]:0`.
    public var description: String {
        switch self {
        case .service(.address(let p, let a, let port)): "[\(a)]:\(p.keepalivedName):\(port)"
        case .service(.firewallMark(let m, _)): "FWM \(m)"
        case .group(let name): "[\(name)]:0"
        }
    }
}

/// What identifies a real server: its virtual server, address and port (keepalived's `rs_iseq`).
public struct RealServerID: Hashable, Sendable {
    /// The virtual server it belongs to.
    public var virtualServer: VirtualServerID
    /// Address and port.
    public var destination: DestinationKey
    /// Creates an identity.
    public init(virtualServer: VirtualServerID, destination: DestinationKey) {
        self.virtualServer = virtualServer
        self.destination = destination
    }
    /// Creates an identity from its parts.
    public init(_ virtualServer: VirtualServerID, _ address: IPAddress, _ port: UInt16) {
        self.init(virtualServer: virtualServer, destination: DestinationKey(address: address, port: port))
    }
}

/// The caller's name for one checker of one real server.
///
/// The daemon chooses it; it must change whenever the checker's configuration changes (keepalived's checker
/// `compare()`), because on reload a checker whose id is unchanged keeps its up/down state.
public struct CheckerID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The name.
    public var rawValue: String
    /// Creates an id.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// Creates an id from a literal.
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }
}

extension IPProtocol {
    /// The lower-case name keepalived prints in `[ip]:tcp:port`.
    public var keepalivedName: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        }
    }
}

extension ServiceKey {
    /// The protocol keepalived uses to format real servers of this service (`none` for a firewall mark).
    var keepalivedProtocolName: String {
        switch self {
        case .address(let p, _, _): p.keepalivedName
        case .firewallMark: "none"
        }
    }
}

/// keepalived's `FMT_RS`: `[10.0.0.2]:tcp:80`, with the virtual server's protocol.
func formatRealServer(_ key: DestinationKey, protocolName: String) -> String {
    "[\(key.address)]:\(protocolName):\(key.port)"
}
