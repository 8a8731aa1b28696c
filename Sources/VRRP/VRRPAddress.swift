/// An IPv4 or IPv6 address as VRRP carries it: raw network-order bytes, compared numerically the way keepalived's
/// `inet_inaddrcmp` does (the equal-priority tie-break in MASTER state).
public enum VRRPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// An IPv4 address, most significant byte first (`10.0.0.1` is `(10, 0, 0, 1)`).
    case v4(UInt32)
    /// An IPv6 address as its 16 network-order bytes.
    case v6([UInt8])

    /// The address family.
    public var family: AddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The address in network byte order: 4 or 16 bytes.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): [UInt8(a >> 24), UInt8((a >> 16) & 0xff), UInt8((a >> 8) & 0xff), UInt8(a & 0xff)]
        case .v6(let b): b
        }
    }

    /// Builds an address from 4 (IPv4) or 16 (IPv6) network-order bytes; `nil` for any other length.
    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            var value: UInt32 = 0
            for byte in bytes { value = value << 8 | UInt32(byte) }
            self = .v4(value)
        case 16: self = .v6(Array(bytes))
        default: return nil
        }
    }

    /// The IPv4 address in the 4 bytes of `bytes` at `offset` (the caller has checked they are there).
    @inlinable
    init(ipv4In bytes: [UInt8], at offset: Int) {
        self = .v4(UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
                   | UInt32(bytes[offset + 3]))
    }

    /// Parses dotted-quad IPv4 (`10.0.0.1`) or IPv6 text (`fe80::1`, `2001:db8::55`); `nil` if malformed.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let b = Self.parseIPv6(text) else { return nil }
            self = .v6(b)
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for p in parts {
                guard !p.isEmpty, p.count <= 3, let octet = UInt8(p) else { return nil }
                value = value << 8 | UInt32(octet)
            }
            self = .v4(value)
        }
    }

    /// Whether this is a multicast address (224.0.0.0/4 or ff00::/8).
    public var isMulticast: Bool {
        switch self {
        case .v4(let a): a >> 28 == 0xe
        case .v6(let b): b.first == 0xff
        }
    }

    /// Whether this is an IPv6 link-local unicast address (fe80::/10).
    public var isLinkLocal: Bool {
        if case .v6(let b) = self, b.count == 16 { return b[0] == 0xfe && b[1] & 0xc0 == 0x80 }
        return false
    }

    /// The VRRP IPv4 multicast group 224.0.0.18 (RFC 3768 §5.2.2).
    public static let multicastGroupV4 = VRRPAddress.v4(0xe000_0012)
    /// The VRRP IPv6 multicast group ff02::12 (RFC 5798 §5.1.2.2).
    public static let multicastGroupV6 = VRRPAddress.v6([0xff, 0x02] + Array(repeating: 0, count: 13) + [0x12])

    /// keepalived's order: IPv4 numerically, IPv6 as four big-endian 32-bit words (that is, bytewise); an IPv4
    /// address sorts before any IPv6 one (the families never meet in one instance).
    public static func < (a: VRRPAddress, b: VRRPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): x < y
        case (.v6(let x), .v6(let y)): x.lexicographicallyPrecedes(y)
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (lower case, longest run of zero words as `::`).
    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\((a >> 16) & 0xff).\((a >> 8) & 0xff).\(a & 0xff)"
        case .v6(let b):
            guard b.count == 16 else { return "<invalid IPv6>" }
            let words = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
            var bestStart = -1, bestLength = 0, i = 0
            while i < 8 {
                if words[i] == 0 {
                    var j = i
                    while j < 8 && words[j] == 0 { j += 1 }
                    if j - i > bestLength && j - i >= 2 { bestStart = i; bestLength = j - i }
                    i = j
                } else {
                    i += 1
                }
            }
            func hex(_ r: Range<Int>) -> String { r.map { String(words[$0], radix: 16) }.joined(separator: ":") }
            if bestStart < 0 { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
        }
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        var halves = [text]
        if let r = text.firstRange(of: "::") {
            halves = [String(text[..<r.lowerBound]), String(text[r.upperBound...])]
            guard !halves[1].contains("::") else { return nil }
        }
        func words(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for part in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !part.isEmpty, part.count <= 4, let w = UInt16(part, radix: 16) else { return nil }
                out.append(w)
            }
            return out
        }
        guard let head = words(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = words(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

/// An address family of a VRRP instance.
public enum AddressFamily: Hashable, Sendable {
    /// IPv4 (VRRPv2 or VRRPv3).
    case ipv4
    /// IPv6 (VRRPv3 only).
    case ipv6

    /// The size of one address in bytes.
    public var addressLength: Int { self == .ipv4 ? 4 : 16 }
}
