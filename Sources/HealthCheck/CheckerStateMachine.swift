/// The per-checker state machine, free of I/O and clocks: feed it probe results, it returns when to probe
/// next and any transition.
///
/// keepalived's semantics (`check_tcp.c`, `check_http.c`, `check_misc.c`):
/// - up + failure: retry after `delay_before_retry`; DOWN after `retry + 1` consecutive failures;
///   a success resets the count;
/// - down or not yet run: one success is UP; while down, failures reschedule at `delay_loop` and do not count;
/// - at start-up the retry counter is already exhausted, so the first failure is DOWN at once;
/// - the start state is up unless `alpha`;
/// - HTTP: one URL per `delay_loop`; up only when all pass; while down only the failed URL is polled every
///   `max(delay_before_retry, delay_loop)`; when it recovers, every URL is walked again, one per cycle or back
///   to back with `fast_recovery`.
///
/// SMTP_CHECK counts as check_smtp.c (``recordSMTP``: every cycle starts at 0, retries even while down) and
/// FILE_CHECK follows its file's number (``FileCheck``): see their sections below.
///
/// With the lvsd extension `rise`/`fall` set, `fall` consecutive failures (also at start-up) make it down and
/// `rise` consecutive successes (full URL cycles for HTTP) make it up.
///
/// One deliberate difference: keepalived retries a URL that fails during the recovery walk after
/// `delay_before_retry` (back to back with `fast_recovery`, a busy loop); here it becomes the failed URL and is
/// polled every `max(delay_before_retry, delay_loop)`.
public struct CheckerStateMachine: Sendable {
    /// The checker type, which selects the counting variant and log wording.
    public let kind: CheckKind
    /// The timers in force.
    public let timers: CheckTimers
    /// Each URL's path and keepalived's success wording (`HTTP status code`, `MD5 digest`, `Regex match`).
    private let urls: [(path: String, wording: String)]
    private let fastRecovery: Bool
    private let miscDynamic: Bool
    private let miscPath: String
    private let smtpServer: String
    private let smtpRealServer: String
    private let file: FileCheck?
    /// FILE_CHECK: the number read last (keepalived's `last_status`).
    public private(set) var fileValue: Int64 = 0
    /// FILE_CHECK: the last out-of-range line logged (logged again only when it changes, as keepalived logs it
    /// once per write of the file, where lvsd reads the file every second).
    private var fileProblem: String?

    /// Current state (starts up unless `alpha`).
    public private(set) var state: CheckState
    /// True once a first verdict was reached (keepalived's `has_run`).
    public private(set) var hasRun: Bool = false
    /// Consecutive counted failures (keepalived's `retry_it`).
    public private(set) var failures: Int
    /// Consecutive successes while down (rise counting).
    public private(set) var successes: Int = 0
    /// The URL the next probe fetches.
    public private(set) var urlIndex: Int = 0
    /// The URL that failed while down, if any.
    public private(set) var failedURL: Int?
    /// MISC dynamic weight currently applied (nil: the configured weight).
    public private(set) var weight: Int?
    private var lastExitCode: Int32 = 0

    /// The shortest interval used: a zero or negative `delay_loop` would make a checker spin.
    static let minimumInterval: Duration = .milliseconds(1)
    private var delayLoop: Duration { max(timers.delayLoop, Self.minimumInterval) }
    private var delayBeforeRetry: Duration { max(timers.delayBeforeRetry, Self.minimumInterval) }

    /// Consecutive failures that make an up checker down (`retry + 1`, or `fall`).
    public var fallThreshold: Int {
        if timers.usesRiseFall { return timers.fall ?? (timers.retry + 1) }
        return timers.retry + 1
    }

    /// Consecutive successes that make a down checker up (1, or `rise`).
    public var riseThreshold: Int { timers.usesRiseFall ? (timers.rise ?? 1) : 1 }

    /// Creates the state machine for a checker spec.
    public init(spec: CheckSpec) {
        self.kind = spec.probe.kind
        self.timers = spec.timers
        switch spec.probe {
        case .http(let check):
            self.urls = check.urls.map { url in
                (url.path, url.regex != nil ? "Regex match" : url.digest != nil ? "MD5 digest" : "HTTP status code")
            }
            self.fastRecovery = check.fastRecovery
            self.miscDynamic = false
            self.miscPath = ""
        case .misc(let check):
            self.urls = []
            self.fastRecovery = false
            self.miscDynamic = check.dynamic
            self.miscPath = check.path
        case .tcp, .udp, .dns, .ping, .smtp, .file:
            self.urls = []
            self.fastRecovery = false
            self.miscDynamic = false
            self.miscPath = ""
        }
        if case .smtp(let check) = spec.probe {
            self.smtpServer = check.serverName
            self.smtpRealServer = check.realServerName
        } else {
            self.smtpServer = ""
            self.smtpRealServer = ""
        }
        if case .file(let check) = spec.probe { self.file = check } else { self.file = nil }
        self.state = spec.timers.alpha ? .down : .up
        // keepalived sets retry_it = retry at start-up, so the first failure is final (but SMTP_CHECK starts each
        // cycle at 0, at start-up too). rise/fall starts at 0.
        self.failures = spec.timers.usesRiseFall || spec.probe.kind == .smtp ? 0 : spec.timers.retry
    }

    /// Delay before the first probe: 1 s + `warmup` × `random` (`random` in 0...1; keepalived uses
    /// `random()/RAND_MAX`).
    public func initialDelay(random: Double) -> Duration {
        let fraction = min(max(random, 0), 1)
        let warmupNanos =
            Double(timers.warmup.components.seconds) * 1e9 + Double(timers.warmup.components.attoseconds) / 1e9
        return .seconds(1) + .nanoseconds(Int64((warmupNanos * fraction).rounded()))
    }

    /// Feeds one probe result and returns the decision.
    public mutating func record(_ result: ProbeResult) -> CheckDecision {
        switch kind {
        case .tcp: recordLayer4(result, wording: .tcp)
        case .udp: recordLayer4(result, wording: .udp)
        case .ping: recordLayer4(result, wording: .ping)
        case .dns: recordDNS(result)
        case .http, .ssl: recordHTTP(result)
        case .misc: recordMisc(result)
        case .smtp: recordSMTP(result)
        case .file: recordFile(result)
        }
    }

    // MARK: - SMTP_CHECK

    /// check_smtp.c's `smtp_final`: every cycle starts with the retry count at 0 (at start-up too); a failure is
    /// retried after `delay_before_retry` while retries are left, even while down; the line `SMTP_CHECK <reason>`
    /// is logged when up or not yet run and the retries are used up (every failure with `log_all_failures`); the
    /// last failure makes an up (or not yet run) checker DOWN. A success resets the count, and makes a down (or not
    /// yet run) checker UP with `Remote SMTP server [rs] succeed on service.`
    private mutating func recordSMTP(_ result: ProbeResult) -> CheckDecision {
        var decision = makeDecision(delay: delayLoop)
        if let failure = result.failure {
            successes = 0
            let reason: String
            if case .smtp(let smtp) = failure {
                reason = smtp.keepalivedMessage(server: smtpServer, realServer: smtpRealServer)
            } else {
                reason = "\(failure)"
            }
            let line = CheckLogLine([.text("SMTP_CHECK \(reason)")])
            let counts = state == .up || !hasRun
            if timers.usesRiseFall {
                if counts {
                    failures += 1
                    if failures >= fallThreshold {
                        decision.messages.append(line)
                        failures = 0
                        becomeDown(&decision)
                        hasRun = true
                    } else {
                        decision.failureMessage = line
                        decision.delay = delayBeforeRetry
                    }
                }
                return decision
            }
            if counts {
                if failures >= timers.retry { decision.messages.append(line) } else { decision.failureMessage = line }
            }
            failures += 1
            if failures <= timers.retry {
                decision.delay = delayBeforeRetry
                return decision
            }
            failures = 0
            if counts {
                becomeDown(&decision)
                hasRun = true
            }
        } else {
            failures = 0
            if state == .down {
                successes += 1
                if successes < riseThreshold {
                    decision.delay = delayBeforeRetry
                    return decision
                }
            }
            if state == .down || !hasRun {
                decision.messages.append(CheckLogLine([.text("Remote SMTP server "), .realServer, .text(" succeed on service.")]))
                becomeUp(&decision)
            }
            hasRun = true
        }
        return decision
    }

    // MARK: - FILE_CHECK

    /// track_file.c's `process_update_checker_track_file_status`: the first read is the start-up state (down when
    /// the product is a fault, or with weight 0 any non-zero number); afterwards a change of the file's
    /// contribution to a fault makes the checker DOWN (the weight back to the configured one), out of a fault UP,
    /// and otherwise moves the weight (configured weight + contribution). A number out of range is logged and
    /// ignored.
    private mutating func recordFile(_ result: ProbeResult) -> CheckDecision {
        var decision = makeDecision(delay: delayLoop)
        decision.messages = result.notes.map { CheckLogLine([.text($0)]) }
        guard let file else { return decision }
        if case .trackFileValue(let line) = result.failure {
            if line != fileProblem { decision.messages.append(CheckLogLine([.text(line)])) }
            fileProblem = line
            return decision
        }
        fileProblem = nil
        let value = result.fileValue ?? 0
        let previousValue = fileValue
        fileValue = value
        if !hasRun {
            hasRun = true
            if file.startsDown(with: value) {
                becomeDown(&decision)
            } else if file.weight != 0 && value != 0 {
                setFileWeight(file.baseWeight + file.status(of: value), &decision)
            }
            return decision
        }
        guard value != previousValue else { return decision }
        let previous = file.status(of: previousValue), next = file.status(of: value)
        guard previous != next else { return decision }
        let name: [CheckLogLine.Segment] = [.text("("), .realServer, .text("): tracked file \(file.name) ")]
        if next == FileCheck.fault {
            decision.messages.append(CheckLogLine(name + [.text("now FAULT state")]))
            setFileWeight(file.baseWeight, &decision)
            becomeDown(&decision)
        } else {
            if previous == FileCheck.fault {
                decision.messages.append(CheckLogLine(name + [.text("leaving FAULT state")]))
            }
            setFileWeight(file.baseWeight + next, &decision)
            becomeUp(&decision)
        }
        return decision
    }

    private mutating func setFileWeight(_ newWeight: Int64, _ decision: inout CheckDecision) {
        let value = Int(newWeight)
        if weight != value {
            weight = value
            decision.weightChanged = true
        }
        decision.weight = weight
    }

    // MARK: - TCP_CHECK, UDP_CHECK, PING_CHECK

    /// keepalived's log wording of the checkers that count as `tcp_epilog` does (check_tcp.c, check_udp.c,
    /// check_ping.c).
    struct Layer4Wording: Sendable {
        /// `TCP connection to [rs] success.`
        var success: [CheckLogLine.Segment]
        /// The DOWN line: `TCP_CHECK on service [rs] failed after N retries.` (retries > 0 after a first run)
        var failedAfterRetries: @Sendable (Int) -> [CheckLogLine.Segment]
        /// The DOWN line otherwise: `TCP_CHECK on service [rs] failed.`
        var failed: [CheckLogLine.Segment]
        /// The per-attempt line for a failure (logged with `log_all_failures`).
        var attempt: @Sendable (ProbeFailure?) -> [CheckLogLine.Segment]

        static let tcp = Layer4Wording(
            success: [.text("TCP connection to "), .realServer, .text(" success.")],
            failedAfterRetries: { [.text("TCP_CHECK on service "), .realServer, .text(" failed after \($0) retries.")] },
            failed: [.text("TCP_CHECK on service "), .realServer, .text(" failed.")],
            attempt: { [.text("TCP connection to "), .realServer, .text($0 == .connectTimeout ? " timeout." : " failed.")] })

        static let udp = Layer4Wording(
            success: [.text("UDP connection to "), .realServer, .text(" success.")],
            failedAfterRetries: { [.text("UDP_CHECK on service "), .realServer, .text(" failed after \($0) retries.")] },
            failed: [.text("UDP_CHECK on service "), .realServer, .text(" failed.")],
            attempt: { failure in
                if case .replyMismatch = failure { return [.text("UDP check to "), .realServer, .text(" reply data mismatch.")] }
                return [.text("UDP connection to "), .realServer, .text(" failed.")]
            })

        static let ping = Layer4Wording(
            success: [.text("ICMP connection to "), .realServer, .text(" success.")],
            failedAfterRetries: {
                [.text("ICMP CHECK on service "), .realServer, .text(" of "), .virtualServer,
                 .text(" failed after \($0) retries.")]
            },
            failed: [.text("ICMP CHECK on service "), .realServer, .text(" failed.")],
            attempt: { failure in
                failure == .replyTimeout
                    ? [.text("ICMP connection to address "), .realServer, .text(" timeout.")]
                    : [.text("ICMP connection to "), .realServer, .text(" of "), .virtualServer, .text(" failed.")]
            })
    }

    private mutating func recordLayer4(_ result: ProbeResult, wording: Layer4Wording) -> CheckDecision {
        var decision = makeDecision(delay: delayLoop)
        if result.succeeded {
            failures = 0
            if state == .down {
                successes += 1
                if successes >= riseThreshold {
                    decision.messages.append(CheckLogLine(wording.success))
                    becomeUp(&decision)
                } else {
                    decision.delay = delayBeforeRetry
                }
            } else if !hasRun {
                decision.messages.append(CheckLogLine(wording.success))
            }
        } else {
            successes = 0
            if state == .up || !hasRun {
                // keepalived's per-attempt line (logged with log_all_failures).
                decision.failureMessage = CheckLogLine(wording.attempt(result.failure))
                if failures + 1 >= fallThreshold {
                    let retries = fallThreshold - 1
                    decision.messages.append(CheckLogLine(
                        retries > 0 && hasRun ? wording.failedAfterRetries(retries) : wording.failed))
                    failures = 0
                    becomeDown(&decision)
                } else {
                    failures += 1
                    decision.delay = delayBeforeRetry
                }
            }
        }
        hasRun = true
        return decision
    }

    // MARK: - DNS_CHECK

    /// check_dns.c's `dns_final`: the same counting, but every failure line is `DNS_CHECK ([rs]) <reason>`,
    /// logged when the retries are used up (with ` after N retries` once the checker has run, even for 0) or
    /// with `log_all_failures`; no line on success.
    private mutating func recordDNS(_ result: ProbeResult) -> CheckDecision {
        var decision = makeDecision(delay: delayLoop)
        if let failure = result.failure {
            successes = 0
            if state == .up || !hasRun {
                let final = failures + 1 >= fallThreshold
                var text = Self.dnsReason(failure)
                if final && hasRun { text += " after \(fallThreshold - 1) retries" }
                let line = CheckLogLine([.text("DNS_CHECK ("), .realServer, .text(") \(text)")])
                if final {
                    decision.messages.append(line)
                    failures = 0
                    becomeDown(&decision)
                } else {
                    decision.failureMessage = line
                    failures += 1
                    decision.delay = delayBeforeRetry
                }
            }
        } else {
            failures = 0
            if state == .down {
                successes += 1
                if successes >= riseThreshold {
                    becomeUp(&decision)
                } else {
                    decision.delay = delayBeforeRetry
                }
            }
        }
        hasRun = true
        return decision
    }

    /// check_dns.c's reason for a failure.
    static func dnsReason(_ failure: ProbeFailure) -> String {
        switch failure {
        case .replyTimeout: "read timeout from socket"
        case .dnsRcode(let rcode): "read error occurred. (rcode = \(rcode))"
        case .connectionRefused: "failed to read socket; errno 111 (Connection refused)"
        case .receiveError(let errno, let message): "failed to read socket; errno \(errno) (\(message))"
        case .connectionFailed(let why): "connection error. (\(why))"
        default: failure.description
        }
    }

    // MARK: - MISC_CHECK

    private mutating func recordMisc(_ result: ProbeResult) -> CheckDecision {
        var decision = makeDecision(delay: delayLoop)
        decision.delayFromStart = true
        let code = result.exitCode
        let succeeded: Bool
        if let code {
            succeeded = code == 0 || (miscDynamic && (2...255).contains(code))
        } else {
            succeeded = result.failure == nil
        }
        let prefix: [CheckLogLine.Segment] = [
            .text("Misc check for ["), .realServer, .text(" VS "), .virtualServer, .text("] by [\(miscPath)] "),
        ]
        if succeeded {
            let exitCode = code ?? 0
            if miscDynamic && exitCode != lastExitCode {
                let newWeight: Int? = exitCode >= 2 ? Int(exitCode) - 2 : nil
                if newWeight != weight {
                    weight = newWeight
                    decision.weightChanged = true
                }
                lastExitCode = exitCode
            }
            failures = 0
            if state == .down {
                successes += 1
                if successes >= riseThreshold {
                    decision.messages.append(CheckLogLine(prefix + [.text("succeeded.")]))
                    becomeUp(&decision)
                } else {
                    decision.delay = delayBeforeRetry
                }
            } else if !hasRun {
                decision.messages.append(CheckLogLine(prefix + [.text("succeeded.")]))
            }
        } else {
            successes = 0
            if state == .up || !hasRun {
                if failures + 1 >= fallThreshold {
                    let retries = fallThreshold - 1
                    let suffix =
                        retries > 0 ? " after \(retries) \(retries == 1 ? "retry" : "retries")" : " with retry disabled"
                    decision.messages.append(
                        CheckLogLine(prefix + [.text(Self.miscOutcome(result, code: code, suffix: suffix))])
                    )
                    failures = 0
                    if weight != nil {
                        weight = nil
                        decision.weightChanged = true
                    }
                    lastExitCode = code ?? lastExitCode
                    becomeDown(&decision)
                } else {
                    failures += 1
                    decision.delay = delayBeforeRetry
                    // keepalived's per-attempt wording (logged with log_all_failures).
                    let retries = fallThreshold - 1
                    let progress =
                        failures == 1
                        ? ", will do \(retries) \(retries == 1 ? "retry" : "retries")"
                        : " on retry \(failures - 1)/\(retries)"
                    decision.failureMessage = CheckLogLine(
                        prefix + [.text(Self.miscOutcome(result, code: code, suffix: progress))]
                    )
                }
            } else if let code {
                lastExitCode = code
            }
        }
        decision.weight = weight
        hasRun = true
        return decision
    }

    /// keepalived's `<type><suffix> (<reason> <code>).` ending of a MISC failure line.
    private static func miscOutcome(_ result: ProbeResult, code: Int32?, suffix: String) -> String {
        switch result.failure {
        case .scriptTimeout: "timed out\(suffix)."
        case .scriptSignal(let signal): "failed\(suffix) (due to signal \(signal))."
        case .scriptSpawn(_, 0, let message): "failed\(suffix) (\(message))."
        case .scriptSpawn(_, let errno, let message): "failed\(suffix) (\(message), errno \(errno))."
        default: "failed\(suffix) (exited with status \(code ?? -1))."
        }
    }

    // MARK: - HTTP_GET / SSL_GET

    private mutating func recordHTTP(_ result: ProbeResult) -> CheckDecision {
        var decision = makeDecision(delay: delayLoop)
        let current = min(urlIndex, max(urls.count - 1, 0))
        let path = urls.indices.contains(current) ? urls[current].path : "/"
        if result.succeeded {
            failures = 0
            if state == .down {
                let what = urls.indices.contains(current) ? urls[current].wording : "HTTP status code"
                decision.messages.append(line("\(what) success to ", .realServer, " url(\(path))"))
            }
            let next = current + 1
            if failedURL != nil {
                // The failed URL answers again: walk every URL from the first.
                failedURL = nil
                urlIndex = 0
            } else if next >= max(urls.count, 1) {
                urlIndex = 0
                if state == .down {
                    successes += 1
                    if successes >= riseThreshold {
                        decision.messages.append(line("Remote Web server ", .realServer, " succeed on service."))
                        becomeUp(&decision)
                    }
                } else if !hasRun {
                    decision.messages.append(line("Remote Web server ", .realServer, " succeed on service."))
                }
                hasRun = true
            } else {
                urlIndex = next
            }
            if !hasRun && !timers.usesRiseFall { failures = timers.retry }
            if fastRecovery && (!hasRun || (state == .down && failedURL == nil)) {
                decision.delay = .zero
            }
        } else {
            successes = 0
            if let failure = result.failure {
                decision.failureMessage = line("\(failure.keepalivedMessage) server ", .realServer, ".")
            }
            if state == .up || !hasRun {
                hasRun = true
                failures += 1
                if failures >= fallThreshold {
                    let retries = fallThreshold - 1
                    decision.messages.append(
                        retries > 0
                            ? line("HTTP_CHECK on service ", .realServer, " failed after \(retries) retries.")
                            : line("HTTP_CHECK on service ", .realServer, " failed.")
                    )
                    failures = 0
                    failedURL = current
                    urlIndex = current
                    becomeDown(&decision)
                    decision.delay = max(delayBeforeRetry, delayLoop)
                } else {
                    decision.delay = delayBeforeRetry
                }
            } else {
                if failedURL == nil { failedURL = current }
                urlIndex = failedURL ?? current
                decision.delay = max(delayBeforeRetry, delayLoop)
            }
        }
        decision.nextURLIndex = urlIndex
        return decision
    }

    // MARK: - Helpers

    private func makeDecision(delay: Duration) -> CheckDecision {
        CheckDecision(
            delay: delay,
            delayFromStart: false,
            transition: nil,
            weightChanged: false,
            weight: weight,
            messages: [],
            failureMessage: nil,
            nextURLIndex: urlIndex
        )
    }

    private mutating func becomeUp(_ decision: inout CheckDecision) {
        successes = 0
        if state != .up {
            state = .up
            decision.transition = .up
        }
    }

    private mutating func becomeDown(_ decision: inout CheckDecision) {
        successes = 0
        if state != .down {
            state = .down
            decision.transition = .down
        }
    }

    private func line(_ before: String, _ middle: CheckLogLine.Segment, _ after: String) -> CheckLogLine {
        CheckLogLine([.text(before), middle, .text(after)])
    }
}
