import Logging

@testable import HealthCheck

/// Drives a ``CheckerStateMachine`` on a virtual clock: each `probe` happens at `now`, and the decision's
/// delay advances `now`. Records when each probe ran and which URL it fetched.
struct FakeTimeline {
    var machine: CheckerStateMachine
    var now: Duration = .zero
    var probes: [(at: Duration, url: Int)] = []
    var transitions: [(at: Duration, state: CheckState)] = []
    var messages: [String] = []
    let id = CheckerID(virtualServer: "[10.0.0.1]:tcp:80", realServer: "[10.0.0.2]:tcp:80")

    init(_ spec: CheckSpec, random: Double = 0) {
        machine = CheckerStateMachine(spec: spec)
        now = machine.initialDelay(random: random)
    }

    /// Runs one probe at `now` with `result`, then advances the clock by the decided delay.
    @discardableResult
    mutating func probe(_ result: ProbeResult) -> CheckDecision {
        probes.append((now, machine.urlIndex))
        let decision = machine.record(result)
        if let state = decision.transition { transitions.append((now, state)) }
        messages += decision.messages.map { $0.rendered(for: id) }
        now += decision.delay
        return decision
    }

    @discardableResult mutating func pass() -> CheckDecision { probe(.success()) }
    @discardableResult mutating func fail(_ why: ProbeFailure = .connectTimeout) -> CheckDecision {
        probe(.failed(why))
    }
    @discardableResult mutating func exit(_ code: Int32) -> CheckDecision { probe(.exited(code)) }
}

func tcpSpec(_ timers: CheckTimers = CheckTimers(delayLoop: .seconds(10))) -> CheckSpec {
    CheckSpec(probe: .tcp(TCPCheck(target: CheckTarget(host: "10.0.0.2", port: 80))), timers: timers)
}

func httpSpec(paths: [String], digests: [String?]? = nil, fastRecovery: Bool = false, timers: CheckTimers) throws
    -> CheckSpec
{
    let urls = try paths.enumerated().map { index, path in
        try HTTPURL(path: path, digest: digests?[index])
    }
    return CheckSpec(
        probe: .http(
            HTTPCheck(target: CheckTarget(host: "10.0.0.2", port: 80), urls: urls, fastRecovery: fastRecovery)
        ),
        timers: timers
    )
}

func miscSpec(dynamic: Bool = false, timers: CheckTimers) -> CheckSpec {
    CheckSpec(probe: .misc(MiscCheck(path: "/usr/local/bin/check", dynamic: dynamic)), timers: timers)
}

/// A logger that drops everything (tests that check log lines capture them instead).
let quietLogger = Logger(label: "healthcheck-tests") { _ in SwiftLogNoOpLogHandler() }
