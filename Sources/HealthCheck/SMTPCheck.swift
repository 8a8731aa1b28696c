/// One `SMTP_CHECK` server, as keepalived 2.2 checks it (check_smtp.c): connect within `connect_timeout`, read
/// the greeting (status 220), send `HELO <helo_name>`, read the reply (status 250), send `QUIT`, read one more
/// line (any). Each read and write waits at most `connect_timeout`; the whole dialogue at most
/// ``effectiveCheckTimeout``. A `host { }` block of the configuration is a checker of its own.
public struct SMTPCheck: Hashable, Sendable {
    /// keepalived's `helo_name` default.
    public static let defaultHeloName = "smtpchecker.keepalived.org"
    /// keepalived's line buffer (`SMTP_BUFF_MAX` 512, one byte for the terminator): a longer line wraps.
    public static let lineBufferBytes = 511
    /// The hard bound on the bytes read for one line, wraps included: beyond it the check fails.
    public static let maximumLineBytes = 64 * 1024

    /// The server (`connect_ip`/`connect_port` of the block or `host`, default the real server).
    public var target: CheckTarget
    /// `bindto`.
    public var bindAddress: String?
    /// `bind_port`.
    public var bindPort: Int?
    /// `connect_timeout`: the connect, and each read and write.
    public var connectTimeout: Duration
    /// `fwmark`: `SO_MARK` on the socket.
    public var fwmark: UInt32?
    /// `helo_name`.
    public var heloName: String
    /// The real server as keepalived names it in `Network unreachable` lines: `[10.0.0.2]:25`.
    public var realServerName: String
    /// The whole dialogue's deadline; nil: ``effectiveCheckTimeout``'s default.
    public var checkTimeout: Duration?

    /// Creates a check with keepalived's defaults.
    public init(target: CheckTarget, bindAddress: String? = nil, bindPort: Int? = nil,
                connectTimeout: Duration = .seconds(5), fwmark: UInt32? = nil,
                heloName: String = SMTPCheck.defaultHeloName, realServerName: String = "",
                checkTimeout: Duration? = nil) {
        self.target = target
        self.bindAddress = bindAddress
        self.bindPort = bindPort
        self.connectTimeout = connectTimeout
        self.fwmark = fwmark
        self.heloName = heloName
        self.realServerName = realServerName
        self.checkTimeout = checkTimeout
    }

    /// The deadline of one whole attempt: `checkTimeout`, else 5 × `connect_timeout` (connect, three reads, two
    /// writes each bounded by it), so a server that trickles bytes cannot hold a check forever.
    public var effectiveCheckTimeout: Duration { checkTimeout ?? connectTimeout * 5 }

    /// keepalived's name of the server in failure lines (`FMT_SMTP_RS`): `[10.0.0.2]:25`.
    public var serverName: String { "[\(target.host)]:\(target.port)" }

    /// The `HELO` line sent, with its CRLF (cut as keepalived's 512-byte buffer cuts it).
    public var heloLine: [UInt8] {
        var bytes = Array("HELO \(heloName)".utf8.prefix(Self.lineBufferBytes - 2))
        bytes += [13, 10]
        return bytes
    }
}

/// Where an SMTP dialogue failed, with keepalived's wording (`SMTP_CHECK <message>`).
public enum SMTPFailure: Hashable, Sendable, CustomStringConvertible {
    /// The connect was refused or reset, or the host is unreachable: `Could not connect to server`.
    case connectFail
    /// The socket could not be set up (an invalid bind address): `Error connecting to server`.
    case connectError
    /// The connect timed out: `Connection timeout to server`.
    case connectTimeout
    /// The connect could not be started (no route, bind failure): `Network unreachable for server`.
    case unreachable(String)
    /// No complete line within `connect_timeout`: `Read timeout from server`.
    case readTimeout
    /// The server closed or the read failed: `Read failure from server`.
    case readFailure
    /// The write did not complete: `Write timeout to server`.
    case writeTimeout
    /// The write failed: `Write failure to server`.
    case writeFailure
    /// The greeting's status is not 220: `Bad greeting banner from server`.
    case badBanner(String)
    /// The HELO reply's status is not 250: `Bad HELO response from server`.
    case badHelo(String)
    /// A line longer than ``SMTPCheck/maximumLineBytes``, or the dialogue past its deadline.
    case bound(String)

    /// keepalived's message for `server` (`[ip]:port`), without the `SMTP_CHECK ` prefix; `realServer` (`[ip]:port`)
    /// is named when the network is unreachable.
    public func keepalivedMessage(server: String, realServer: String = "") -> String {
        switch self {
        case .connectFail: "Could not connect to server \(server)"
        case .connectError: "Error connecting to server \(server)"
        case .connectTimeout: "Connection timeout to server \(server)"
        case .unreachable: "Network unreachable for server \(server) - real server \(realServer)"
        case .readTimeout: "Read timeout from server \(server)"
        case .readFailure: "Read failure from server \(server)"
        case .writeTimeout: "Write timeout to server \(server)"
        case .writeFailure: "Write failure to server \(server)"
        case .badBanner: "Bad greeting banner from server \(server)"
        case .badHelo: "Bad HELO response from server \(server)"
        case .bound: "Read timeout from server \(server)"
        }
    }

    /// A sentence for status reports.
    public var description: String {
        switch self {
        case .connectFail: "connection refused or reset, or host unreachable"
        case .connectError: "cannot set up the socket"
        case .connectTimeout: "timeout connecting"
        case .unreachable(let why): "cannot connect: \(why)"
        case .readTimeout: "timeout reading a reply line"
        case .readFailure: "connection closed or read error"
        case .writeTimeout: "timeout writing"
        case .writeFailure: "write error"
        case .badBanner(let line): "greeting is not 220: \(line)"
        case .badHelo(let line): "HELO reply is not 250: \(line)"
        case .bound(let why): why
        }
    }
}
