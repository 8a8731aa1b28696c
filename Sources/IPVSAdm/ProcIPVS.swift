import IPVSKit

/// Reads `/proc/net/ip_vs`, which carries every destination's address, port, forwarding method, weight and
/// connection counts in one read. The netlink alternative needs one destination dump per service, each behind the
/// kernel's IPVS mutex, so the default listing of a large table is several times faster this way.
///
/// The file lacks what only netlink has (firewall-mark families, scheduler flags, persistence engines, thresholds,
/// tunnels, counters), so it is only used to fill in destinations of services read over netlink.
public enum ProcIPVS {
    /// A service as the file identifies it: firewall-mark lines do not say the family.
    public enum Key: Hashable, Sendable {
        case address(UInt16, IPAddress, UInt16)
        case firewallMark(UInt32)

        /// The file's key for a netlink service key.
        public init(_ k: ServiceKey) {
            switch k {
            case .address(let p, let a, let port): self = .address(p.rawValue, a, port)
            case .firewallMark(let m, _): self = .firewallMark(m)
            }
        }
    }

    /// Destinations per service; a key seen twice (an IPv4 and an IPv6 mark service with the same mark) is
    /// dropped, so the caller falls back to netlink for it.
    public static func parse(_ text: String) -> [Key: [Destination]] {
        var result: [Key: [Destination]] = [:]
        var duplicates = Set<Key>()
        var current: Key?
        var dests: [Destination] = []
        func finish() {
            guard let k = current else { return }
            if result[k] != nil { duplicates.insert(k) }
            result[k] = dests
        }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2 else { continue }
            if f[0] == "->" {
                guard current != nil, f.count >= 6, let (addr, port) = addressPort(f[1]),
                      let weight = Int32(f[3]), let active = Int32(f[4]), let inactive = Int32(f[5]) else { continue }
                let fwd: ForwardingMethod = switch f[2] {
                case "Local": .local
                case "Tunnel": .tunnel
                case "Route": .route
                default: .masquerade
                }
                dests.append(Destination(address: addr, port: port, forwarding: fwd, weight: weight,
                                         activeConnections: UInt32(bitPattern: active), inactiveConnections: UInt32(bitPattern: inactive)))
                continue
            }
            let proto: UInt16
            switch f[0] {
            case "TCP": proto = 6
            case "UDP": proto = 17
            case "SCTP": proto = 132
            case "FWM": proto = 0
            default: continue
            }
            finish()
            dests = []
            if proto == 0 {
                current = UInt32(f[1], radix: 16).map { .firewallMark($0) }
            } else {
                current = addressPort(f[1]).map { .address(proto, $0.0, $0.1) }
            }
        }
        finish()
        for d in duplicates { result[d] = nil }
        return result
    }

    /// `0A000001:0050` or `[2001:0db8:...:0001]:0050`.
    static func addressPort(_ s: Substring) -> (IPAddress, UInt16)? {
        guard let colon = s.lastIndex(of: ":"), let port = UInt16(s[s.index(after: colon)...], radix: 16) else { return nil }
        let a = s[..<colon]
        if a.hasPrefix("[") {
            guard let v6 = CommandLineParser.ipv6(String(a.dropFirst().dropLast())) else { return nil }
            return (v6, port)
        }
        guard let v = UInt32(a, radix: 16) else { return nil }
        return (.v4(v), port)
    }
}
