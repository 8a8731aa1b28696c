#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The address family of a service, a destination or a sync-daemon group.
public enum AddressFamily: UInt16, Sendable, Hashable, CaseIterable {
    /// IPv4 (`AF_INET`).
    case inet = 2
    /// IPv6 (`AF_INET6`).
    case inet6 = 10
}

/// An IPv4 or IPv6 address, stored by value so that it hashes and compares cheaply.
///
/// IPv4 addresses keep the address as a host-order integer (`10.0.0.1` is `0x0A00_0001`); IPv6 addresses keep the
/// 16 bytes as two host-order halves. ``bytes`` gives the network-order bytes the kernel exchanges.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// An IPv4 address as a host-order integer.
    case v4(UInt32)
    /// An IPv6 address as two host-order 64-bit halves (high, low).
    case v6(UInt64, UInt64)

    /// Parses dotted-quad IPv4 or any textual IPv6 form that `inet_pton` accepts.
    ///
    /// Brackets around an IPv6 address (`[::1]`) are accepted. Returns `nil` for anything else, including host names.
    /// Inlinable, with ``dottedQuad(_:)``: a caller in another module (the configuration parser, the restore
    /// reader) gets a copy specialised for its `String` or `Substring` instead of reading bytes through protocol
    /// calls (4,000 instructions per address against ~600).
    @inlinable
    public init?(_ text: some StringProtocol) {
        // Most addresses in a configuration or a restore file are plain dotted quads: no C string round trip.
        if let v4 = Self.dottedQuad(text.utf8) {
            self = .v4(v4)
            return
        }
        self.init(parsingWithInetPton: String(text))
    }

    @usableFromInline
    init?(parsingWithInetPton text: String) {
        var s = text
        if s.hasPrefix("["), s.hasSuffix("]") { s = String(s.dropFirst().dropLast()) }
        // A NUL would end the C string early ("1.2.3.4\0junk" read as 1.2.3.4).
        if s.isEmpty || s.utf8.count > 45 || s.utf8.contains(0) { return nil }
        if s.contains(":") {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, s, &raw) == 1 else { return nil }
            self = withUnsafeBytes(of: &raw) { IPAddress(v6Bytes: Array($0)) }
        } else {
            // inet_pton accepts only canonical dotted quads (no "10.1", no octal), as an operator expects.
            var raw = in_addr()
            guard inet_pton(AF_INET, s, &raw) == 1 else { return nil }
            self = .v4(UInt32(bigEndian: raw.s_addr))
        }
    }

    /// A strict dotted quad (`10.0.0.1`: four decimal parts of 0...255 without leading zeros, which is exactly what
    /// `inet_pton(AF_INET)` accepts) as a host-order integer; `nil` for anything else.
    @inlinable
    public static func dottedQuad(_ text: some Collection<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        var leadingZero = false
        for b in text {
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                if digits == 1, leadingZero { return nil }
                if digits == 0 { leadingZero = b == UInt8(ascii: "0") }
                digits += 1
                part = part * 10 + UInt32(b - UInt8(ascii: "0"))
                if digits > 3 || part > 255 { return nil }
            } else if b == UInt8(ascii: "."), digits > 0, parts < 3 {
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard parts == 3, digits > 0 else { return nil }
        return value << 8 | part
    }

    /// Builds an address from network-order bytes: 4 for IPv4, 16 for IPv6.
    public init?(bytes: some Collection<UInt8>, family: AddressFamily) {
        let b = Array(bytes)
        switch family {
        case .inet:
            guard b.count >= 4 else { return nil }
            self = .v4(UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
        case .inet6:
            guard b.count >= 16 else { return nil }
            self = IPAddress(v6Bytes: b)
        }
    }

    private init(v6Bytes b: [UInt8]) {
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for i in 0..<8 { hi = hi << 8 | UInt64(b[i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(b[i]) }
        self = .v6(hi, lo)
    }

    /// The family of this address.
    public var family: AddressFamily {
        switch self {
        case .v4: .inet
        case .v6: .inet6
        }
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let v):
            return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        case .v6(let hi, let lo):
            var out = [UInt8](repeating: 0, count: 16)
            for i in 0..<8 {
                out[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i)))
                out[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i)))
            }
            return out
        }
    }

    /// The address as the kernel carries it in `union nf_inet_addr`: 16 bytes, IPv4 in the first four.
    public var kernelBytes: [UInt8] {
        var b = bytes
        if b.count < 16 { b += [UInt8](repeating: 0, count: 16 - b.count) }
        return b
    }

    /// The textual form `inet_ntop` gives (`10.0.0.1`, `2001:db8::1`).
    public var description: String {
        switch self {
        case .v4(let v):
            // At most 15 ASCII bytes, written directly: string interpolation of four integers cost ten times as much.
            return String(unsafeUninitializedCapacity: 15) { out in
                var n = 0
                for shift in [UInt32(24), 16, 8, 0] {
                    let octet = UInt8(truncatingIfNeeded: v >> shift)
                    if shift != 24 { out[n] = UInt8(ascii: "."); n += 1 }
                    if octet >= 100 { out[n] = 0x30 + octet / 100; n += 1 }
                    if octet >= 10 { out[n] = 0x30 + (octet / 10) % 10; n += 1 }
                    out[n] = 0x30 + octet % 10; n += 1
                }
                return n
            }
        case .v6:
            var raw = in6_addr()
            let b = bytes
            withUnsafeMutableBytes(of: &raw) { dst in
                for i in 0..<16 { dst[i] = b[i] }
            }
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &raw, &buf, socklen_t(buf.count)) != nil else { return "::" }
            return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The form used in `addr:port` strings: IPv6 addresses in brackets.
    public var bracketed: String {
        switch self {
        case .v4: description
        case .v6: "[\(description)]"
        }
    }

    /// Orders IPv4 before IPv6, then numerically.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        case (.v6(let ah, let al), .v6(let bh, let bl)): ah != bh ? ah < bh : al < bl
        }
    }
}
