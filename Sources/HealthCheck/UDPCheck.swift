/// A `UDP_CHECK`, as keepalived 2.2 runs it: a connected UDP socket sends ``payload``, then waits up to
/// `connect_timeout` for a reply. An ICMP destination unreachable (port unreachable: the next receive fails
/// with ECONNREFUSED) fails the check. Without ``requireReply`` silence until the timeout is a success; with it,
/// a reply must arrive, and with a ``reply`` pattern it must match.
public struct UDPCheck: Hashable, Sendable {
    /// keepalived's datagram when no `payload` is given: `keepalived check - ` repeated over 32 bytes.
    public static let defaultPayload: [UInt8] = {
        let text = Array("keepalived check - ".utf8)
        return (0..<32).map { text[$0 % text.count] }
    }()

    /// Where to send (`connect_ip`/`connect_port`, default the real server).
    public var target: CheckTarget
    /// Optional local address to bind (`bindto`).
    public var bindAddress: String?
    /// Optional local port to bind (`bind_port`).
    public var bindPort: Int?
    /// How long to wait for a reply or an ICMP error (`connect_timeout`, default 5 s).
    public var connectTimeout: Duration
    /// `fwmark`: `SO_MARK` on the probe socket.
    public var fwmark: UInt32?
    /// The datagram sent (`payload`); nil sends ``defaultPayload``.
    public var payload: [UInt8]?
    /// `require_reply`: a timeout without a reply is a failure.
    public var requireReply: Bool
    /// The `require_reply` pattern, if one was given: only then are the reply's length bounds checked.
    public var reply: ReplyPattern?
    /// `min_reply_length` (default 0).
    public var minReplyLength: Int
    /// `max_reply_length` (default 255).
    public var maxReplyLength: Int

    /// Creates a UDP check with keepalived's defaults.
    public init(
        target: CheckTarget,
        bindAddress: String? = nil,
        bindPort: Int? = nil,
        connectTimeout: Duration = .seconds(5),
        fwmark: UInt32? = nil,
        payload: [UInt8]? = nil,
        requireReply: Bool = false,
        reply: ReplyPattern? = nil,
        minReplyLength: Int = 0,
        maxReplyLength: Int = 255
    ) {
        self.target = target
        self.bindAddress = bindAddress
        self.bindPort = bindPort
        self.connectTimeout = connectTimeout
        self.fwmark = fwmark
        self.payload = payload
        self.requireReply = requireReply || reply != nil
        self.reply = reply
        self.minReplyLength = minReplyLength
        self.maxReplyLength = maxReplyLength
    }

    /// The datagram to send.
    public var datagram: [UInt8] { payload ?? Self.defaultPayload }

    /// The verdict on a reply: nil (success) unless a ``reply`` pattern is set and the reply is shorter than
    /// `min_reply_length`, longer than `max_reply_length`, or differs from the pattern in a byte both have
    /// (keepalived compares only the shorter of the two, so a reply may be shorter than the pattern).
    public func judge(reply data: some Collection<UInt8>) -> ProbeFailure? {
        guard let reply else { return nil }
        guard data.count >= minReplyLength, data.count <= maxReplyLength else {
            return .replyMismatch("reply of \(data.count) bytes, expected \(minReplyLength) to \(maxReplyLength)")
        }
        if let offset = reply.firstMismatch(in: data) {
            return .replyMismatch("reply byte \(offset) differs from the require_reply pattern")
        }
        return nil
    }
}

/// A `require_reply` pattern: bytes with optional wildcard nibbles (`X` in keepalived's hex strings).
public struct ReplyPattern: Hashable, Sendable {
    /// The expected bytes (0 in wildcard nibbles).
    public var bytes: [UInt8]
    /// Per byte, the bits that are wildcards (`0xF0` for `X5`); empty or shorter than ``bytes``: no wildcards
    /// for the rest.
    public var wildcards: [UInt8]

    /// Creates a pattern.
    public init(bytes: [UInt8], wildcards: [UInt8] = []) {
        self.bytes = bytes
        self.wildcards = wildcards
    }

    /// The offset of the first byte of `data` that differs from the pattern outside its wildcards, comparing the
    /// first `min(data.count, bytes.count)` bytes; nil when they agree.
    public func firstMismatch(in data: some Collection<UInt8>) -> Int? {
        for (offset, (received, expected)) in zip(data, bytes).enumerated() {
            let wildcard = offset < wildcards.count ? wildcards[offset] : 0
            if (received ^ expected) & ~wildcard != 0 { return offset }
        }
        return nil
    }
}
