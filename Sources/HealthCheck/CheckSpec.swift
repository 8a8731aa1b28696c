/// What a checker probes: one of the supported checker types.
public enum CheckProbe: Hashable, Sendable {
    /// `TCP_CHECK`
    case tcp(TCPCheck)
    /// `HTTP_GET` or `SSL_GET` (``HTTPCheck/tls``)
    case http(HTTPCheck)
    /// `MISC_CHECK`
    case misc(MiscCheck)
    /// `UDP_CHECK`
    case udp(UDPCheck)
    /// `DNS_CHECK`
    case dns(DNSCheck)
    /// `PING_CHECK`
    case ping(PingCheck)
    /// `SMTP_CHECK` (one server: keepalived makes one checker per `host` block)
    case smtp(SMTPCheck)
    /// `FILE_CHECK`
    case file(FileCheck)

    /// The keepalived checker type.
    public var kind: CheckKind {
        switch self {
        case .tcp: .tcp
        case .http(let check): check.tls ? .ssl : .http
        case .misc: .misc
        case .udp: .udp
        case .dns: .dns
        case .ping: .ping
        case .smtp: .smtp
        case .file: .file
        }
    }

    /// Number of URLs one full cycle walks (1 for non-HTTP checkers).
    public var urlCount: Int {
        if case .http(let check) = self { return max(1, check.urls.count) }
        return 1
    }

    var fastRecovery: Bool {
        if case .http(let check) = self { return check.fastRecovery }
        return false
    }
}

/// A complete checker: the probe and its timers. Two checkers with equal specs are deduplicated by
/// ``CheckEngine``: one probe serves every subscriber.
public struct CheckSpec: Hashable, Sendable {
    /// What to probe.
    public var probe: CheckProbe
    /// When to probe and how to count.
    public var timers: CheckTimers

    /// Creates a spec.
    public init(probe: CheckProbe, timers: CheckTimers) {
        self.probe = probe
        self.timers = timers
    }
}

/// Identifies one checker of one real server of one virtual server, as the configuration declares it. Used in
/// keepalived-style log lines (`realServer` is `FMT_CHK`, e.g. `[10.0.0.2]:tcp:80`).
public struct CheckerID: Hashable, Sendable, CustomStringConvertible {
    /// The virtual server, e.g. `[10.0.0.1]:tcp:80`, `FWM 5` or `[GROUP]:1`.
    public var virtualServer: String
    /// The real server, e.g. `[10.0.0.2]:tcp:80`.
    public var realServer: String
    /// The position of this checker within the real server block (0-based).
    public var index: Int

    /// Creates an identity.
    public init(virtualServer: String, realServer: String, index: Int = 0) {
        self.virtualServer = virtualServer
        self.realServer = realServer
        self.index = index
    }

    /// `RS of VS #index`.
    public var description: String { "\(realServer) of \(virtualServer) #\(index)" }
}

/// A checker to run: its identity and its spec.
public struct CheckerConfig: Hashable, Sendable {
    /// Identity of the subscriber.
    public var id: CheckerID
    /// What to check and when.
    public var spec: CheckSpec

    /// Creates a checker configuration.
    public init(id: CheckerID, spec: CheckSpec) {
        self.id = id
        self.spec = spec
    }
}
