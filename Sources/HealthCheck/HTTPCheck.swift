/// One `url { }` block of an HTTP_GET / SSL_GET checker.
public struct HTTPURL: Hashable, Sendable {
    /// Request path, sent verbatim (`path`).
    public var path: String
    /// Expected MD5 of the body as 32 lowercase hex digits (`digest`), or nil not to compare.
    public var digest: String?
    /// Accepted status codes (`status_code`, default 200-299).
    public var statusCodes: StatusCodeSet
    /// Per-URL `virtualhost`: the highest-precedence Host header and SNI source.
    public var virtualHost: String?
    /// Optional `regex` test on the body, checked after the digest.
    public var regex: BodyRegex?

    /// Creates a URL; `digest` is validated as 32 hex digits and lower-cased.
    public init(
        path: String,
        digest: String? = nil,
        statusCodes: StatusCodeSet = .default,
        virtualHost: String? = nil,
        regex: BodyRegex? = nil
    ) throws(HTTPURLError) {
        self.regex = regex
        if let digest {
            guard digest.utf8.count == 32, digest.utf8.allSatisfy({ $0.isHexDigit }) else {
                throw HTTPURLError.invalidDigest(digest)
            }
        }
        self.path = path
        self.digest = digest?.lowercased()
        self.statusCodes = statusCodes
        self.virtualHost = virtualHost
    }
}

/// Why an ``HTTPURL`` could not be built.
public enum HTTPURLError: Error, Hashable, Sendable {
    /// `digest` is not exactly 32 hexadecimal digits.
    case invalidDigest(String)
    /// `regex` does not compile: the pattern, PCRE2's message and the byte offset in the pattern it points at.
    case invalidRegex(String, message: String, offset: Int)
}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

/// keepalived's `http_protocol`: the request line version and whether `Connection: close` is sent.
public enum HTTPProtocolVersion: String, Hashable, Sendable {
    /// `1.0` (default): `HTTP/1.0`, no Connection header.
    case http10 = "1.0"
    /// `1.0C` (or `1.0c`): `HTTP/1.0` with `Connection: close`.
    case http10Close = "1.0C"
    /// `1.1`: `HTTP/1.1` with `Connection: close`.
    case http11 = "1.1"

    /// Parses `1.0`, `1.0C`, `1.0c` or `1.1`.
    public init?(keyword: String) {
        switch keyword {
        case "1.0": self = .http10
        case "1.0C", "1.0c": self = .http10Close
        case "1.1": self = .http11
        default: return nil
        }
    }

    var minorVersion: Int { self == .http11 ? 1 : 0 }
    var sendsConnectionClose: Bool { self != .http10 }
}

/// An `HTTP_GET` or `SSL_GET` checker (`tls` on for SSL_GET).
///
/// The virtual host fields keep every level of keepalived's configuration so that the precedence rules can
/// be applied exactly: Host is url > checker > real server > virtual server > `ip:port`; SNI (only when
/// ``enableSNI`` or ``sniName`` is set) is `sni_name` > url > checker > virtual server (keepalived skips the
/// real server's virtualhost for SNI).
public struct HTTPCheck: Hashable, Sendable {
    /// Where to connect.
    public var target: CheckTarget
    /// SSL_GET when true.
    public var tls: Bool
    /// The URLs, checked one per `delay_loop`; the checker is up only when all pass. Must not be empty.
    public var urls: [HTTPURL]
    /// Checker-level `virtualhost`.
    public var virtualHost: String?
    /// The real server's `virtualhost`.
    public var realServerVirtualHost: String?
    /// The virtual server's `virtualhost`.
    public var virtualServerVirtualHost: String?
    /// `http_protocol` (default 1.0).
    public var httpProtocol: HTTPProtocolVersion
    /// `enable_sni`.
    public var enableSNI: Bool
    /// `sni_name`: explicit SNI; implies SNI.
    public var sniName: String?
    /// lvsd extension: verify the server certificate chain and name (keepalived never verifies).
    public var verifyCertificate: Bool
    /// Bound on the connect, the TLS handshake, the write and each read wait (`connect_timeout`, default 5 s).
    public var connectTimeout: Duration
    /// Bound on one whole probe (connect to last byte). Default: 3 × `connectTimeout`.
    public var checkTimeout: Duration?
    /// Maximum body bytes read; a longer body fails the probe (default 1 MiB).
    public var maxBodyBytes: Int
    /// `fast_recovery`: while recovering, walk the URLs back to back instead of one per `delay_loop`.
    public var fastRecovery: Bool
    /// Optional local address to bind (`bindto`).
    public var bindAddress: String?
    /// `fwmark`: `SO_MARK` on the probe socket (needs CAP_NET_ADMIN).
    public var fwmark: UInt32?

    /// Creates an HTTP_GET (or, with `tls`, SSL_GET) checker with keepalived's defaults.
    public init(
        target: CheckTarget,
        tls: Bool = false,
        urls: [HTTPURL],
        virtualHost: String? = nil,
        realServerVirtualHost: String? = nil,
        virtualServerVirtualHost: String? = nil,
        httpProtocol: HTTPProtocolVersion = .http10,
        enableSNI: Bool = false,
        sniName: String? = nil,
        verifyCertificate: Bool = false,
        connectTimeout: Duration = .seconds(5),
        checkTimeout: Duration? = nil,
        maxBodyBytes: Int = 1 << 20,
        fastRecovery: Bool = false,
        bindAddress: String? = nil,
        fwmark: UInt32? = nil
    ) {
        self.fwmark = fwmark
        self.target = target
        self.tls = tls
        self.urls = urls
        self.virtualHost = virtualHost
        self.realServerVirtualHost = realServerVirtualHost
        self.virtualServerVirtualHost = virtualServerVirtualHost
        self.httpProtocol = httpProtocol
        self.enableSNI = enableSNI
        self.sniName = sniName
        self.verifyCertificate = verifyCertificate
        self.connectTimeout = connectTimeout
        self.checkTimeout = checkTimeout
        self.maxBodyBytes = maxBodyBytes
        self.fastRecovery = fastRecovery
        self.bindAddress = bindAddress
    }

    /// The Host header for `url`: url > checker > real server > virtual server virtualhost > `ip:port`.
    public func hostHeader(for url: HTTPURL) -> String {
        url.virtualHost ?? virtualHost ?? realServerVirtualHost ?? virtualServerVirtualHost ?? target.hostHeader
    }

    /// The SNI name for `url`, or nil when none is sent: only with `enable_sni` or `sni_name`; `sni_name` >
    /// url > checker > virtual server virtualhost. IP literals are never sent as SNI.
    public func serverName(for url: HTTPURL) -> String? {
        guard enableSNI || sniName != nil else { return nil }
        guard let name = sniName ?? url.virtualHost ?? virtualHost ?? virtualServerVirtualHost else { return nil }
        return Self.isIPLiteral(name) ? nil : name
    }

    /// The whole-probe deadline actually applied.
    public var effectiveCheckTimeout: Duration { checkTimeout ?? connectTimeout * 3 }

    /// The exact request bytes keepalived sends for `url`:
    /// `GET <path> HTTP/1.x\r\nUser-Agent: KeepAliveClient\r\n[Connection: close\r\n]Host: <host>\r\n\r\n`.
    public func request(for url: HTTPURL) -> String {
        "GET \(url.path) HTTP/1.\(httpProtocol.minorVersion)\r\n"
            + "User-Agent: KeepAliveClient\r\n"
            + (httpProtocol.sendsConnectionClose ? "Connection: close\r\n" : "")
            + "Host: \(hostHeader(for: url))\r\n\r\n"
    }

    static func isIPLiteral(_ name: String) -> Bool {
        if name.contains(":") { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}
