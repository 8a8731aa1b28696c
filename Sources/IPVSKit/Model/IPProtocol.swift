/// The transport protocol of an address-based virtual service.
public enum IPProtocol: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// TCP (6).
    case tcp = 6
    /// UDP (17).
    case udp = 17
    /// SCTP (132).
    case sctp = 132

    /// The name ipvsadm prints in listings: `TCP`, `UDP` or `SCTP`.
    public var description: String {
        switch self {
        case .tcp: "TCP"
        case .udp: "UDP"
        case .sctp: "SCTP"
        }
    }
}
