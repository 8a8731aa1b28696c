/// Why one probe attempt failed. Every case names a precise cause; ``description`` is a human sentence and
/// ``keepalivedMessage`` the prefix keepalived logs (`<msg> server [ip]:tcp:port.`).
public enum ProbeFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer refused the connection (RST, ECONNREFUSED).
    case connectionRefused
    /// Another connect or socket error (unreachable, bind failure, ...).
    case connectionFailed(String)
    /// The connect did not complete within `connect_timeout`.
    case connectTimeout
    /// Sending the request did not complete within `connect_timeout`.
    case writeTimeout
    /// No data arrived for `connect_timeout` while reading the response.
    case readTimeout
    /// The probe as a whole exceeded its deadline (e.g. a slow trickle of bytes).
    case checkTimeout(Duration)
    /// The connection closed before a complete header (`\r\n\r\n`) arrived.
    case noData
    /// The status line lacks `SP ddd SP` (e.g. `HTTP/1.1 200` with no reason phrase, or garbage).
    case malformedStatusLine
    /// The status code is not in the accepted set.
    case statusCode(Int)
    /// The MD5 of the body differs from `digest`.
    case digestMismatch(expected: String, actual: String)
    /// The body failed the URL's `regex` test (no match, or a match with `regex_no_match`).
    case regexMismatch(pattern: String, noMatch: Bool)
    /// The body exceeded the configured bound before the server closed.
    case bodyTooLarge(limit: Int)
    /// The response header exceeded the bound before `\r\n\r\n`.
    case headerTooLarge(limit: Int)
    /// The TLS handshake or the TLS stream failed.
    case tls(String)
    /// A read or write error after the connection was established.
    case ioError(String)
    /// The MISC script exited with a failing code.
    case scriptExit(Int32)
    /// The MISC script died of a signal it was not sent by the timeout.
    case scriptSignal(Int32)
    /// The MISC script exceeded `misc_timeout` and was terminated (SIGTERM, then SIGKILL).
    case scriptTimeout(Duration)
    /// The MISC script could not be started (missing, not executable, unknown user, unsafe permissions, ...);
    /// `errno` is 0 when no system call failed.
    case scriptSpawn(path: String, errno: Int32, message: String)
    /// UDP_CHECK: the reply failed the `require_reply` pattern or its length bounds.
    case replyMismatch(String)
    /// UDP_CHECK (with `require_reply`), DNS_CHECK, PING_CHECK: no answer within `connect_timeout`.
    case replyTimeout
    /// DNS_CHECK: the reply's rcode is not NOERROR.
    case dnsRcode(Int)
    /// PING_CHECK: an ICMP message that is not an echo reply, or a short one.
    case unexpectedICMP(String)
    /// Receiving on a UDP or ICMP socket failed (an ICMP error other than port unreachable, ...): the errno.
    case receiveError(errno: Int32, message: String)
    /// SMTP_CHECK: the dialogue failed (keepalived's wording in ``SMTPFailure/keepalivedMessage(server:)``).
    case smtp(SMTPFailure)
    /// FILE_CHECK: the file holds a number out of range; keepalived's line, and the value is ignored.
    case trackFileValue(String)

    /// A sentence describing the failure.
    public var description: String {
        switch self {
        case .connectionRefused: "connection refused"
        case .connectionFailed(let why): "connection failed: \(why)"
        case .connectTimeout: "timeout connecting"
        case .writeTimeout: "timeout writing request"
        case .readTimeout: "timeout reading response"
        case .checkTimeout(let limit): "check exceeded its deadline of \(limit)"
        case .noData: "no data received (connection closed before the end of the HTTP header)"
        case .malformedStatusLine: "malformed HTTP status line"
        case .statusCode(let code): "HTTP status code \(code) not accepted"
        case .digestMismatch(let expected, let actual): "MD5 digest mismatch: expected \(expected), got \(actual)"
        case .regexMismatch(let pattern, let noMatch):
            noMatch ? "body matches regex \(pattern) (regex_no_match)" : "body does not match regex \(pattern)"
        case .bodyTooLarge(let limit): "response body larger than \(limit) bytes"
        case .headerTooLarge(let limit): "response header larger than \(limit) bytes"
        case .tls(let why): "TLS handshake/communication error: \(why)"
        case .ioError(let why): "I/O error: \(why)"
        case .scriptExit(let code): "script exited with status \(code)"
        case .scriptSignal(let signal): "script killed by signal \(signal)"
        case .scriptTimeout(let limit): "script timed out after \(limit) and was killed"
        case .scriptSpawn(let path, 0, let message): "cannot run \(path): \(message)"
        case .scriptSpawn(let path, let errno, let message): "cannot run \(path): \(message) (errno \(errno))"
        case .replyMismatch(let why): "reply data mismatch: \(why)"
        case .replyTimeout: "no reply within connect_timeout"
        case .dnsRcode(let rcode): "DNS reply with rcode \(rcode)"
        case .unexpectedICMP(let what): "unexpected reply: \(what)"
        case .receiveError(let errno, let message): "receive failed: \(message) (errno \(errno))"
        case .smtp(let failure): "SMTP: \(failure)"
        case .trackFileValue(let line): line
        }
    }

    /// keepalived's message prefix for this failure (as in `timeout_epilog`), e.g. `HTTP status code error to`.
    public var keepalivedMessage: String {
        switch self {
        case .connectionRefused, .connectionFailed: "Error connecting"
        case .connectTimeout: "Timeout connecting"
        case .writeTimeout: "Timeout WEB write"
        case .readTimeout, .checkTimeout: "Timeout HTTP read"
        case .noData, .headerTooLarge: "Read, no data received from"
        case .malformedStatusLine: "HTTP status code error to"
        case .statusCode: "HTTP status code error to"
        case .digestMismatch: "MD5 digest error to"
        case .regexMismatch: "Regex match failed"
        case .bodyTooLarge: "Body too large from"
        case .tls: "SSL handshake/communication error connecting to"
        case .ioError: "Read error with"
        case .scriptExit, .scriptSignal, .scriptTimeout, .scriptSpawn: "Misc check failed for"
        case .replyMismatch: "Reply data mismatch from"
        case .replyTimeout: "Timeout reading reply from"
        case .dnsRcode: "DNS error reply from"
        case .unexpectedICMP: "Unexpected ICMP reply from"
        case .receiveError: "Read error with"
        case .smtp: "SMTP_CHECK"
        case .trackFileValue: "Invalid number read from"
        }
    }
}

/// The outcome of one probe attempt (one TCP connect, one URL fetch, one script run).
public struct ProbeResult: Hashable, Sendable {
    /// nil on success, the cause on failure.
    public var failure: ProbeFailure?
    /// Wall time from start to verdict.
    public var latency: Duration
    /// MISC_CHECK: the exit code (0 on success without `misc_dynamic`).
    public var exitCode: Int32?
    /// HTTP: the status code received, if any.
    public var statusCode: Int?
    /// HTTP: the MD5 hex digest of the body, if computed.
    public var digest: String?
    /// FILE_CHECK: the number read from the file (0 when missing, empty or not a number).
    public var fileValue: Int64?
    /// Lines to log that are not about the verdict (FILE_CHECK's `init_file` problems).
    public var notes: [String] = []

    /// Creates a result.
    public init(
        failure: ProbeFailure? = nil,
        latency: Duration = .zero,
        exitCode: Int32? = nil,
        statusCode: Int? = nil,
        digest: String? = nil
    ) {
        self.failure = failure
        self.latency = latency
        self.exitCode = exitCode
        self.statusCode = statusCode
        self.digest = digest
    }

    /// A success.
    public static func success(latency: Duration = .zero) -> ProbeResult { ProbeResult(latency: latency) }

    /// A failure with `reason`.
    public static func failed(_ reason: ProbeFailure, latency: Duration = .zero) -> ProbeResult {
        ProbeResult(failure: reason, latency: latency)
    }

    /// A MISC result from an exit code: 0 succeeds.
    /// With `dynamic`, codes 2...255 succeed too (`misc_dynamic`).
    public static func exited(_ code: Int32, dynamic: Bool = false, latency: Duration = .zero) -> ProbeResult {
        let succeeded = code == 0 || (dynamic && (2...255).contains(code))
        return ProbeResult(failure: succeeded ? nil : .scriptExit(code), latency: latency, exitCode: code)
    }

    /// True when the probe succeeded (before MISC dynamic interpretation).
    public var succeeded: Bool { failure == nil }
}
