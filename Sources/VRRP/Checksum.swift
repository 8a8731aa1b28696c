/// The Internet checksum (RFC 1071): the ones-complement of the ones-complement sum of 16-bit big-endian words,
/// an odd last byte padded with zero. VRRPv2 covers the message alone; VRRPv3 adds a pseudo-header (§1.4 of the
/// reference).
public struct InternetChecksum: Sendable {
    private var sum: UInt32 = 0
    private var pendingHigh: UInt8?

    /// An empty running sum.
    public init() {}

    /// Adds bytes to the running sum (byte streams may be split at any point).
    public mutating func add(_ bytes: some Sequence<UInt8>) {
        if pendingHigh == nil, let done = bytes.withContiguousStorageIfAvailable({ addWords($0) }) {
            pendingHigh = done
            return
        }
        for byte in bytes {
            if let high = pendingHigh {
                sum &+= UInt32(high) << 8 | UInt32(byte)
                pendingHigh = nil
                if sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            } else {
                pendingHigh = byte
            }
        }
    }

    /// Adds contiguous bytes two at a time (the sum is on an even boundary); returns the odd last byte, if any.
    private mutating func addWords(_ b: UnsafeBufferPointer<UInt8>) -> UInt8? {
        var s = UInt64(sum)
        var i = 0
        while i + 1 < b.count {
            s &+= UInt64(b[i]) << 8 | UInt64(b[i + 1])
            i += 2
        }
        while s > 0xffff { s = (s & 0xffff) + (s >> 16) }
        sum = UInt32(s)
        return i < b.count ? b[i] : nil
    }

    /// Adds one 16-bit big-endian word (the sum is on an even boundary).
    private mutating func addWord(_ w: UInt32) {
        sum &+= w
        if sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    }

    /// Adds an address's bytes (the sum is on an even boundary).
    private mutating func add(_ a: VRRPAddress) {
        switch a {
        case .v4(let v): addWord(v >> 16); addWord(v & 0xffff)
        case .v6(let b): add(b)
        }
    }

    /// The checksum to put in the header (the complement of the folded sum). Over data that already holds a
    /// correct checksum it is 0.
    public var value: UInt16 {
        var s = sum
        if let high = pendingHigh { s &+= UInt32(high) << 8 }
        while s > 0xffff { s = (s & 0xffff) + (s >> 16) }
        return ~UInt16(s)
    }

    /// The checksum of one byte sequence.
    public static func compute(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var c = InternetChecksum()
        c.add(bytes)
        return c.value
    }

    /// The checksum of a VRRPv3 message with its pseudo-header: RFC 8200 §8.1 for IPv6 (source, destination,
    /// 32-bit length, three zero bytes, next header 112); for IPv4 keepalived 2.2.7's 12 bytes (source,
    /// destination, zero, protocol 112, 16-bit length). The message's own checksum field must be zero, or the
    /// result is 0 when it already holds the right value.
    public static func vrrpV3(message: [UInt8], source: VRRPAddress, destination: VRRPAddress) -> UInt16 {
        var c = InternetChecksum()
        c.add(source)
        c.add(destination)
        let length = UInt32(truncatingIfNeeded: message.count)
        if source.family == .ipv4 {
            c.addWord(UInt32(IPProtocolVRRP))
            c.addWord(length & 0xffff)
        } else {
            c.addWord(length >> 16)
            c.addWord(length & 0xffff)
            c.addWord(0)
            c.addWord(UInt32(IPProtocolVRRP))
        }
        c.add(message)
        return c.value
    }
}

/// IP protocol number of VRRP (RFC 3768 §5.2.4, RFC 5798 §5.1.1.4).
public let IPProtocolVRRP: UInt8 = 112
/// IP protocol number of IPsec AH, which keepalived's `auth_type AH` puts in front of a VRRPv2 message.
public let IPProtocolAH: UInt8 = 51
