/// What identifies a virtual service in the kernel: a protocol, address and port, or a firewall mark.
public enum ServiceKey: Hashable, Sendable, CustomStringConvertible {
    /// A TCP, UDP or SCTP service on `address:port`.
    case address(IPProtocol, IPAddress, port: UInt16)
    /// A service that matches packets carrying firewall mark `mark`, in the given address family.
    case firewallMark(UInt32, family: AddressFamily)

    /// The address family of the service.
    public var family: AddressFamily {
        switch self {
        case .address(_, let a, _): a.family
        case .firewallMark(_, let f): f
        }
    }

    /// `TCP 10.0.0.1:80`, `UDP [2001:db8::1]:53` or `FWM 7` (with ` IPv6` for an IPv6 mark).
    public var description: String {
        switch self {
        case .address(let p, let a, let port): "\(p) \(a.bracketed):\(port)"
        case .firewallMark(let m, let f): f == .inet6 ? "FWM \(m) IPv6" : "FWM \(m)"
        }
    }
}
