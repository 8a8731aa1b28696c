/// A `PING_CHECK`: one ICMP (IPv4) or ICMPv6 echo request; an echo reply within `connect_timeout` is a success,
/// an ICMP error or the timeout a failure. lvsd sends from an unprivileged ping socket (SOCK_DGRAM, allowed by
/// `net.ipv4.ping_group_range`) and falls back to a raw socket (CAP_NET_RAW) where that is refused; keepalived
/// widens `ping_group_range` instead.
public struct PingCheck: Hashable, Sendable {
    /// The address pinged (`connect_ip`, default the real server; the port is not used).
    public var target: CheckTarget
    /// Optional local address to bind (`bindto`).
    public var bindAddress: String?
    /// How long to wait for the reply (`connect_timeout`, default 5 s).
    public var connectTimeout: Duration
    /// `fwmark`: `SO_MARK` on the probe socket.
    public var fwmark: UInt32?

    /// Creates a ping check.
    public init(target: CheckTarget, bindAddress: String? = nil, connectTimeout: Duration = .seconds(5),
                fwmark: UInt32? = nil) {
        self.target = target
        self.bindAddress = bindAddress
        self.connectTimeout = connectTimeout
        self.fwmark = fwmark
    }
}

/// ICMP and ICMPv6 echo messages as `PING_CHECK` sends and reads them.
public enum ICMPEcho {
    /// Bytes of data after the 8-byte header (keepalived's `ICMP_BUFSIZE`, filled as its UDP payload is).
    public static let dataLength = 128

    /// An echo request: type 8 (ICMPv6: 128), code 0, checksum (ICMPv4; the kernel fills ICMPv6's), `identifier`,
    /// `sequence`, and ``dataLength`` bytes of `keepalived check - `.
    public static func request(identifier: UInt16, sequence: UInt16, ipv6: Bool) -> [UInt8] {
        let text = Array("keepalived check - ".utf8)
        var message: [UInt8] = [ipv6 ? 128 : 8, 0, 0, 0,
                                UInt8(identifier >> 8), UInt8(identifier & 0xFF),
                                UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        message += (0..<dataLength).map { text[$0 % text.count] }
        if !ipv6 {
            let sum = checksum(message)
            message[2] = UInt8(sum >> 8)
            message[3] = UInt8(sum & 0xFF)
        }
        return message
    }

    /// The Internet checksum (RFC 1071) of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// The verdict on a datagram read from the probe's socket.
    ///
    /// From a ping socket (`raw` false) the kernel passes only this socket's echo replies (it sets and matches
    /// the identifier itself): an echo reply is a success, anything else a failure, as in keepalived. From a raw
    /// socket every ICMP message of the peer arrives (IPv4 with its IP header first): only an echo reply with
    /// `identifier` and `sequence` counts; everything else is ignored.
    public static func judge(reply data: [UInt8], raw: Bool, ipv6: Bool, identifier: UInt16, sequence: UInt16)
        -> DatagramVerdict
    {
        var message = data[...]
        if raw && !ipv6 {
            guard let first = message.first, first >> 4 == 4 else { return .ignore }
            let headerLength = Int(first & 0x0F) * 4
            guard headerLength >= 20, message.count >= headerLength else { return .ignore }
            message = message.dropFirst(headerLength)
        }
        guard message.count >= 8 else {
            return raw ? .ignore : .failure(.unexpectedICMP("short ICMP packet of \(message.count) bytes"))
        }
        let bytes = Array(message.prefix(8))
        let replyType: UInt8 = ipv6 ? 129 : 0
        guard bytes[0] == replyType else {
            return raw ? .ignore : .failure(.unexpectedICMP("ICMP packet with type 0x\(String(bytes[0], radix: 16))"))
        }
        guard raw else { return .success }
        let id = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        let seq = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        return id == identifier && seq == sequence ? .success : .ignore
    }
}
