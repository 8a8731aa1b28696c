import IPVSKit

/// A health-checker block of a real server, with its timing resolved by inheritance
/// (checker → real server → virtual server → keepalived's default for the type).
public struct Checker: Hashable, Sendable {
    /// The checker block keyword.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// `TCP_CHECK`: a TCP handshake.
        case tcp = "TCP_CHECK"
        /// `HTTP_GET`: status code and optional body digest.
        case http = "HTTP_GET"
        /// `SSL_GET`: HTTP_GET over TLS.
        case ssl = "SSL_GET"
        /// `MISC_CHECK`: runs a program; exit 0 is success.
        case misc = "MISC_CHECK"
        /// `SMTP_CHECK`: banner 220, `HELO`, 250, `QUIT`.
        case smtp = "SMTP_CHECK"
        /// `DNS_CHECK`: a DNS query over UDP; a NOERROR reply is success.
        case dns = "DNS_CHECK"
        /// `UDP_CHECK`: a datagram sent; an ICMP error (or no reply, with `require_reply`) is failure.
        case udp = "UDP_CHECK"
        /// `PING_CHECK`: an ICMP / ICMPv6 echo.
        case ping = "PING_CHECK"
        /// `FILE_CHECK`: a `track_file`'s number as a weight offset.
        case file = "FILE_CHECK"
        /// `BFD_CHECK` (not acted upon).
        case bfd = "BFD_CHECK"

        /// Whether lvsd runs this kind of checker (the others are parsed and reported as not acted upon).
        public var isActedUpon: Bool {
            switch self {
            case .tcp, .http, .ssl, .misc, .udp, .dns, .ping, .smtp, .file: true
            case .bfd: false
            }
        }
        /// Whether the connection keywords (`connect_ip`, `connect_port`, `bindto`, ...) apply.
        public var hasConnection: Bool { self != .misc && self != .file && self != .bfd }
    }

    /// The block keyword.
    public var kind: Kind
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
    /// Connection settings (TCP, HTTP, SSL, SMTP, DNS, UDP, PING).
    public var connection = CheckerConnection()
    /// Effective `retry` (retries after the first failure before DOWN).
    public var retry: UInt32 = 1
    /// Effective `delay_before_retry`.
    public var delayBeforeRetry: ConfigDuration = .seconds(1)
    /// Effective `delay_loop`.
    public var delayLoop: ConfigDuration = Defaults.delayLoop
    /// Effective `warmup` (the maximum random delay of the first check).
    public var warmup: ConfigDuration = Defaults.delayLoop
    /// Effective `connect_timeout`.
    public var connectTimeout: ConfigDuration = Defaults.connectTimeout
    /// Effective `alpha` (checker, else real server, else virtual server).
    public var alpha = false
    /// `log_all_failures`, if given (else `checker_log_all_failures` of global_defs applies).
    public var logAllFailures: Bool?
    /// lvsd extension: consecutive successes to go up (default 1).
    public var rise: UInt32 = 1
    /// lvsd extension: consecutive failures to go down (default `retry + 1`, keepalived's behaviour).
    public var fall: UInt32 = 2
    /// Whether `rise` was configured (on the checker or its real server).
    public var riseWasGiven = false
    /// Whether `fall` was configured (on the checker or its real server).
    public var fallWasGiven = false
    /// HTTP_GET / SSL_GET settings.
    public var http: HTTPCheckSettings?
    /// MISC_CHECK settings.
    public var misc: MiscCheckSettings?
    /// UDP_CHECK settings.
    public var udp: UDPCheckSettings?
    /// DNS_CHECK settings.
    public var dns: DNSCheckSettings?
    /// SMTP_CHECK settings.
    public var smtp: SMTPCheckSettings?
    /// FILE_CHECK settings.
    public var file: FileCheckSettings?
    /// Keywords of checker types lvsd does not run (BFD) and MISC_CHECK's `user`, as written.
    public var otherSettings: [OtherSetting] = []

    // Values given in the block itself, before inheritance.
    var givenRetry: UInt32?
    var givenDelayBeforeRetry: ConfigDuration?
    var givenDelayLoop: ConfigDuration?
    var givenWarmup: ConfigDuration?
    var givenConnectTimeout: ConfigDuration?
    var givenAlpha: Bool?
    var givenRise: UInt32?
    var givenFall: UInt32?

    /// The address and port the checker connects to: `connect_ip`/`connect_port`, else the real server's.
    /// The port is 0 when neither gives one (a fwmark service; the parser warns).
    public func target(of realServer: RealServer) -> (address: IPAddress, port: UInt16) {
        (connection.ip ?? realServer.address, connection.port ?? realServer.port)
    }

    init(kind: Kind, location: ConfigLocation) {
        self.kind = kind
        self.location = location
    }
}

/// A keyword of a checker lvsd parses without acting on it.
public struct OtherSetting: Hashable, Sendable {
    /// The keyword.
    public var keyword: String
    /// Its arguments.
    public var arguments: [String]
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// The connection keywords shared by most checkers.
public struct CheckerConnection: Hashable, Sendable {
    /// `connect_ip` (default: the real server's address).
    public var ip: IPAddress?
    /// `connect_port` (default: the real server's port).
    public var port: UInt16?
    /// `bindto`.
    public var bindAddress: IPAddress?
    /// `bind_port`.
    public var bindPort: UInt16?
    /// `bind_if`.
    public var bindInterface: String?
    /// `fwmark` (SO_MARK on the checker's socket).
    public var firewallMark: UInt32?
    /// Creates empty settings.
    public init() {}
}

/// HTTP_GET and SSL_GET settings.
public struct HTTPCheckSettings: Hashable, Sendable {
    /// The `url` blocks, in order (never empty once validated).
    public var urls: [HTTPCheckURL] = []
    /// `virtualhost` of the checker.
    public var virtualhost: String?
    /// `virtualhost` of the real server (inherited; the Host header falls back to it).
    public var realServerVirtualhost: String?
    /// `virtualhost` of the virtual server (inherited).
    public var virtualServerVirtualhost: String?
    /// `http_protocol` (default 1.0).
    public var httpProtocol: HTTPProtocolVersion = .http10
    /// `enable_sni`.
    public var enableSNI = false
    /// `sni_name`.
    public var sniName: String?
    /// `fast_recovery`.
    public var fastRecovery = false
    /// `tls_compliant` (SSL_GET only).
    public var tlsCompliant = false

    /// The Host header for `url`: url > checker > real server > virtual server; `nil` means the address and port.
    public func hostHeader(for url: HTTPCheckURL) -> String? {
        url.virtualhost ?? virtualhost ?? realServerVirtualhost ?? virtualServerVirtualhost
    }

    /// The SNI name for `url` (only with `enable_sni` or `sni_name`): sni_name > url > checker > virtual server
    /// (keepalived skips the real server's virtualhost here).
    public func serverName(for url: HTTPCheckURL) -> String? {
        guard enableSNI || sniName != nil else { return nil }
        return sniName ?? url.virtualhost ?? virtualhost ?? virtualServerVirtualhost
    }
}

/// `http_protocol`.
public enum HTTPProtocolVersion: String, Hashable, Sendable, CaseIterable {
    /// `1.0` (default).
    case http10 = "1.0"
    /// `1.0C`: HTTP/1.0 with `Connection: close`.
    case http10Close = "1.0C"
    /// `1.1` (adds `Connection: close`).
    case http11 = "1.1"

    /// Whether the request carries `Connection: close`.
    public var sendsConnectionClose: Bool { self != .http10 }
    /// The version in the request line: `1.0` or `1.1`.
    public var requestVersion: String { self == .http11 ? "1.1" : "1.0" }
}

/// `url { }` of HTTP_GET / SSL_GET.
public struct HTTPCheckURL: Hashable, Sendable {
    /// `path` (required).
    public var path: String
    /// `digest`: 32 lower-case hex digits (MD5 of the body).
    public var digest: String?
    /// `status_code` ranges (default 200-299).
    public var statusCodes: [ClosedRange<Int>] = [Defaults.statusCodes]
    /// `virtualhost`.
    public var virtualhost: String?
    /// `regex` and its options (parsed; matching is up to the checker).
    public var regex: String?
    /// `regex_no_match`.
    public var regexNoMatch = false
    /// `regex_options`.
    public var regexOptions: [String] = []
    /// `regex_min_offset`.
    public var regexMinOffset: UInt32?
    /// `regex_max_offset`.
    public var regexMaxOffset: UInt32?
    /// `regex_stack START MAX`: the JIT stack's initial and largest sizes in bytes.
    public var regexStack: ClosedRange<UInt32>?
    /// Where `regex` was written (its compile errors are reported there).
    @ExcludedFromEquality public var regexLocation: ConfigLocation?
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation

    /// Whether `code` is an accepted status.
    public func accepts(statusCode code: Int) -> Bool { statusCodes.contains { $0.contains(code) } }
}

/// MISC_CHECK settings.
public struct MiscCheckSettings: Hashable, Sendable {
    /// `misc_path`.
    public var script: ScriptCommand
    /// `misc_timeout` (default: the virtual server's delay_loop).
    public var timeout: ConfigDuration
    /// `misc_dynamic`: exit codes 2..255 set weight = code − 2.
    public var dynamic = false
}

/// UDP_CHECK settings.
public struct UDPCheckSettings: Hashable, Sendable {
    /// `payload`: the datagram's bytes (nil: keepalived's 32 bytes of `keepalived check - `).
    public var payload: [UInt8]?
    /// `require_reply` was given: a reply must arrive.
    public var requireReply = false
    /// The `require_reply` hex pattern, if any (only then are the length bounds checked).
    public var replyPattern: [UInt8]?
    /// Per pattern byte, the wildcard bits (`X` nibbles); empty without wildcards.
    public var replyWildcards: [UInt8] = []
    /// `min_reply_length` (default 0).
    public var minReplyLength: UInt16 = 0
    /// `max_reply_length` (default 255).
    public var maxReplyLength: UInt16 = 255
    /// Creates default settings.
    public init() {}
}

/// DNS_CHECK settings.
public struct DNSCheckSettings: Hashable, Sendable {
    /// `type` (default SOA), upper-cased: A NS CNAME SOA MX TXT AAAA RRSIG DNSKEY.
    public var type = "SOA"
    /// `name` (default the root, `.`).
    public var name = "."
    /// Creates default settings.
    public init() {}
}

/// SMTP_CHECK settings.
public struct SMTPCheckSettings: Hashable, Sendable {
    /// keepalived's `helo_name` default.
    public static let defaultHeloName = "smtpchecker.keepalived.org"
    /// `helo_name` (default `smtpchecker.keepalived.org`).
    public var heloName = SMTPCheckSettings.defaultHeloName
    /// The deprecated `host { }` sub-blocks, in order.
    public var hosts: [SMTPCheckHost] = []
    /// Whether the checker block itself set a connection keyword (`connect_ip`, `connect_port`, `bindto`,
    /// `bind_port`, `bind_if`, `fwmark` or `connect_timeout`): then it is checked as well as every host;
    /// otherwise the first host takes its place (keepalived's `smtp_check_end_handler`).
    public var blockHasConnection = false
    /// Creates default settings.
    public init() {}
}

/// A `host { }` block of SMTP_CHECK: its own connection (default: the real server's address and port).
public struct SMTPCheckHost: Hashable, Sendable {
    /// `connect_ip`, `connect_port`, `bindto`, `bind_port`, `bind_if`, `fwmark` of the block.
    public var connection = CheckerConnection()
    /// `connect_timeout` of the block (default: the real server's, else the virtual server's).
    public var connectTimeout: ConfigDuration?
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// One SMTP server an SMTP_CHECK block makes a checker of (keepalived makes one checker per `host` block).
public struct SMTPCheckTarget: Hashable, Sendable {
    /// The connection settings.
    public var connection: CheckerConnection
    /// The effective `connect_timeout`.
    public var connectTimeout: ConfigDuration
}

extension Checker {
    /// The SMTP servers this SMTP_CHECK checks, one checker each, as keepalived 2.2 expands the block: the block's
    /// own connection first when it set one or has no `host`, then every `host` (else the first `host` replaces
    /// the block's). Empty for other kinds.
    public var smtpTargets: [SMTPCheckTarget] {
        guard let smtp else { return [] }
        let own = SMTPCheckTarget(connection: connection, connectTimeout: connectTimeout)
        let hosts = smtp.hosts.map {
            SMTPCheckTarget(connection: $0.connection, connectTimeout: $0.connectTimeout ?? connectTimeout)
        }
        if smtp.blockHasConnection || hosts.isEmpty { return [own] + hosts }
        return hosts
    }
}

/// FILE_CHECK settings, resolved against the `track_file` they name.
public struct FileCheckSettings: Hashable, Sendable {
    /// The `track_file` name.
    public var name: String
    /// The file read.
    public var path: String
    /// The multiplier of the file's number (the FILE_CHECK's `weight`, else the track_file's; 0: a non-zero
    /// number is a failure).
    public var weight: Int
    /// `reverse`: the product is negated (with weight 0: a zero number is a failure).
    public var reverse: Bool
    /// `init_file`'s value, when the track_file has `init_file`.
    public var initValue: Int?
    /// `init_file ... overwrite`: write the value even when the file exists.
    public var initOverwrite: Bool
}
