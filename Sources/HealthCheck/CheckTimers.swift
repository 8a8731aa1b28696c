/// The scheduling and counting parameters every checker has (keepalived's common checker keywords), plus the
/// lvsd `rise`/`fall` extension.
///
/// Defaults follow keepalived 2.4: `delay_loop` 60 s, `retry` 1 (MISC 0), `delay_before_retry` 1 s
/// (HTTP_GET/SSL_GET 3 s), `warmup` equal to `delay_loop`; DNS_CHECK: `retry` 3, `delay_before_retry` its
/// `delay_loop`. Use ``defaults(for:)`` to get the per-type defaults.
public struct CheckTimers: Hashable, Sendable {
    /// Interval between checks when nothing is failing (`delay_loop`, default 60 s).
    public var delayLoop: Duration
    /// Interval before a retry after a failure while up (`delay_before_retry`).
    public var delayBeforeRetry: Duration
    /// Retries after the first failure before declaring the checker down (`retry`). DOWN needs `retry + 1`
    /// consecutive failures.
    public var retry: Int
    /// Maximum random delay added to the first run (`warmup`, default: `delayLoop`).
    public var warmup: Duration
    /// Start in the down state (`alpha`); otherwise the checker starts optimistic (up).
    public var alpha: Bool
    /// `log_all_failures`: log every failed attempt at `info`, not only state changes.
    public var logAllFailures: Bool
    /// lvsd extension (`rise N`): consecutive successes needed to go up. When `rise` or `fall` is set, they
    /// replace keepalived's retry counting.
    public var rise: Int?
    /// lvsd extension (`fall N`): consecutive failures needed to go down.
    public var fall: Int?

    /// Creates timers; every parameter has keepalived's TCP_CHECK default.
    public init(
        delayLoop: Duration = .seconds(60),
        delayBeforeRetry: Duration = .seconds(1),
        retry: Int = 1,
        warmup: Duration? = nil,
        alpha: Bool = false,
        rise: Int? = nil,
        fall: Int? = nil,
        logAllFailures: Bool = false
    ) {
        self.logAllFailures = logAllFailures
        self.delayLoop = delayLoop
        self.delayBeforeRetry = delayBeforeRetry
        self.retry = max(0, retry)
        self.warmup = warmup ?? delayLoop
        self.alpha = alpha
        self.rise = rise.map { max(1, $0) }
        self.fall = fall.map { max(1, $0) }
    }

    /// keepalived's defaults for a checker type: `retry` 1 (MISC_CHECK 0, DNS_CHECK 3), `delay_before_retry` 1 s
    /// (HTTP_GET/SSL_GET 3 s, DNS_CHECK its `delay_loop`), `delay_loop` 60 s, `warmup` = `delay_loop`.
    public static func defaults(for kind: CheckKind, delayLoop: Duration = .seconds(60)) -> CheckTimers {
        switch kind {
        case .tcp: CheckTimers(delayLoop: delayLoop, delayBeforeRetry: .seconds(1), retry: 1)
        case .http, .ssl: CheckTimers(delayLoop: delayLoop, delayBeforeRetry: .seconds(3), retry: 1)
        case .misc: CheckTimers(delayLoop: delayLoop, delayBeforeRetry: .seconds(1), retry: 0)
        case .udp, .ping, .smtp: CheckTimers(delayLoop: delayLoop, delayBeforeRetry: .seconds(1), retry: 1)
        case .file: CheckTimers(delayLoop: FileCheck.pollInterval, delayBeforeRetry: FileCheck.pollInterval, retry: 0, warmup: .zero)
        case .dns: CheckTimers(delayLoop: delayLoop, delayBeforeRetry: delayLoop, retry: 3)
        }
    }

    /// True when the lvsd `rise`/`fall` extension replaces keepalived's retry counting.
    public var usesRiseFall: Bool { rise != nil || fall != nil }
}

/// The checker types this module implements.
public enum CheckKind: String, Hashable, Sendable {
    /// `TCP_CHECK`
    case tcp = "TCP_CHECK"
    /// `HTTP_GET`
    case http = "HTTP_GET"
    /// `SSL_GET`
    case ssl = "SSL_GET"
    /// `MISC_CHECK`
    case misc = "MISC_CHECK"
    /// `UDP_CHECK`
    case udp = "UDP_CHECK"
    /// `DNS_CHECK`
    case dns = "DNS_CHECK"
    /// `PING_CHECK`
    case ping = "PING_CHECK"
    /// `SMTP_CHECK`
    case smtp = "SMTP_CHECK"
    /// `FILE_CHECK`
    case file = "FILE_CHECK"
}
