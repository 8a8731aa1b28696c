/// Why bytes could not be decoded as, or a model could not be encoded into, a VRRP message or its IPv4 header.
public enum PacketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the 8-byte VRRP header.
    case truncated(length: Int)
    /// The version nibble is neither 2 nor 3.
    case wrongVersion(UInt8)
    /// The type nibble is not 1 (advertisement).
    case wrongType(UInt8)
    /// VRRPv2 carries IPv4 addresses only.
    case ipv6InVersion2
    /// The message length does not match the address count (16 + 4N for v2, 8 + 4N or 8 + 16N for v3).
    case lengthMismatch(expected: Int, actual: Int, addressCount: UInt8)
    /// The checksum verifies in no accepted form.
    case badChecksum(received: UInt16)
    /// More than 255 addresses to encode.
    case tooManyAddresses(Int)
    /// Addresses (or the source and destination) of more than one family.
    case addressFamilyMismatch
    /// The interval does not fit its field (v2: 8 bits of seconds; v3: 12 bits of centiseconds).
    case intervalOutOfRange(UInt16)
    /// VRRPv2 auth data must be exactly 8 bytes.
    case badAuthDataLength(Int)
    /// An IPv4 datagram shorter than its header.
    case ipv4HeaderTruncated(length: Int)
    /// The IP version nibble is not 4.
    case notIPv4(UInt8)
    /// The IHL field is below 5 words.
    case badIPv4HeaderLength(Int)
    /// The IPv4 protocol is neither VRRP (112) nor AH (51).
    case wrongProtocol(UInt8)
    /// The IPv4 total length disagrees with the bytes received.
    case totalLengthMismatch(header: Int, received: Int)

    public var description: String {
        switch self {
        case .truncated(let n): "VRRP packet too short: \(n) bytes, the header needs 8"
        case .wrongVersion(let v): "wrong VRRP version \(v)"
        case .wrongType(let t): "invalid VRRP packet type \(t), expected 1"
        case .ipv6InVersion2: "VRRPv2 cannot carry IPv6 addresses"
        case .lengthMismatch(let e, let a, let n): "VRRP packet length \(a) does not match \(n) addresses (expected \(e))"
        case .badChecksum(let c): "invalid VRRP checksum 0x\(String(c, radix: 16))"
        case .tooManyAddresses(let n): "\(n) addresses: at most 255 fit in an advertisement"
        case .addressFamilyMismatch: "addresses of mixed families"
        case .intervalOutOfRange(let i): "advertisement interval \(i) does not fit its field"
        case .badAuthDataLength(let n): "VRRPv2 authentication data is \(n) bytes, not 8"
        case .ipv4HeaderTruncated(let n): "IPv4 packet too short: \(n) bytes"
        case .notIPv4(let v): "IP version \(v), expected 4"
        case .badIPv4HeaderLength(let n): "IPv4 header length \(n) bytes is below 20"
        case .wrongProtocol(let p): "IP protocol \(p), expected 112"
        case .totalLengthMismatch(let h, let r): "IPv4 total length \(h) but \(r) bytes received"
        }
    }
}
