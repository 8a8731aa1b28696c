/// A `DNS_CHECK`, as keepalived 2.2 runs it: one query (`type` `name`, class IN, recursion desired) over a
/// connected UDP socket; a reply with the query's id, the QR bit and rcode NOERROR within `connect_timeout` is a
/// success. Replies with another id, without QR, or shorter than a header are ignored (the wait goes on); another
/// rcode, an ICMP error or the timeout is a failure.
public struct DNSCheck: Hashable, Sendable {
    /// The server (`connect_ip`/`connect_port`, default the real server).
    public var target: CheckTarget
    /// Optional local address to bind (`bindto`).
    public var bindAddress: String?
    /// Optional local port to bind (`bind_port`).
    public var bindPort: Int?
    /// How long to wait for the reply (`connect_timeout`, default 5 s).
    public var connectTimeout: Duration
    /// `fwmark`: `SO_MARK` on the probe socket.
    public var fwmark: UInt32?
    /// The query type (`type`, default SOA).
    public var type: DNSRecordType
    /// The query name (`name`, default the root `.`), already validated (see ``DNSMessage/encodeName(_:)``).
    public var name: String

    /// Creates a DNS check with keepalived's defaults (an SOA query for the root).
    public init(
        target: CheckTarget,
        bindAddress: String? = nil,
        bindPort: Int? = nil,
        connectTimeout: Duration = .seconds(5),
        fwmark: UInt32? = nil,
        type: DNSRecordType = .soa,
        name: String = "."
    ) {
        self.target = target
        self.bindAddress = bindAddress
        self.bindPort = bindPort
        self.connectTimeout = connectTimeout
        self.fwmark = fwmark
        self.type = type
        self.name = name
    }
}

/// The query types keepalived's `DNS_CHECK` accepts.
public enum DNSRecordType: UInt16, Hashable, Sendable, CaseIterable {
    /// `A`
    case a = 1
    /// `NS`
    case ns = 2
    /// `CNAME`
    case cname = 5
    /// `SOA` (the default)
    case soa = 6
    /// `MX`
    case mx = 15
    /// `TXT`
    case txt = 16
    /// `AAAA`
    case aaaa = 28
    /// `RRSIG`
    case rrsig = 46
    /// `DNSKEY`
    case dnskey = 48

    /// The keyword, e.g. `SOA`.
    public var name: String { "\(self)".uppercased() }

    /// Looks a keyword up, ignoring case as keepalived does; nil for any other type.
    public init?(name: String) {
        guard let type = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = type
    }
}
