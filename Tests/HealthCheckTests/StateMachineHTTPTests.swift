import Testing

@testable import HealthCheck

@Suite("State machine: HTTP_GET URL cycling on a fake clock")
struct StateMachineHTTPTests {
    let timers = CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(3), retry: 1)

    @Test func oneURLPerDelayLoopAndUpLoggedAfterTheFirstFullCycle() throws {
        var timeline = FakeTimeline(try httpSpec(paths: ["/a", "/b", "/c"], timers: timers))
        for _ in 0..<4 { #expect(timeline.pass().transition == nil) }
        #expect(timeline.probes.map(\.url) == [0, 1, 2, 0])
        #expect(timeline.probes.map(\.at) == [.seconds(1), .seconds(11), .seconds(21), .seconds(31)])
        #expect(timeline.messages == ["Remote Web server [10.0.0.2]:tcp:80 succeed on service."])
    }

    @Test func startUpFailureOnALaterURLIsDownAtOnce() throws {
        var timeline = FakeTimeline(try httpSpec(paths: ["/a", "/b"], timers: timers))
        timeline.pass()
        let decision = timeline.fail(.statusCode(500))
        #expect(decision.transition == .down)
        #expect(timeline.messages == ["HTTP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries."])
        #expect(decision.nextURLIndex == 1)
    }

    @Test func retriesTheSameURLAfterDelayBeforeRetryThenDown() throws {
        var timeline = FakeTimeline(try httpSpec(paths: ["/a", "/b", "/c"], timers: timers))
        for _ in 0..<3 { timeline.pass() }  // t = 1, 11, 21; next /a at 31
        let first = timeline.fail(.readTimeout)  // /a at 31
        #expect(first.transition == nil && first.delay == .seconds(3) && first.nextURLIndex == 0)
        let second = timeline.fail(.readTimeout)  // /a at 34
        #expect(second.transition == .down)
        #expect(second.delay == .seconds(10))  // max(delay_before_retry, delay_loop)
        #expect(timeline.messages.last == "HTTP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries.")
        #expect(timeline.probes.suffix(2).map(\.at) == [.seconds(31), .seconds(34)])
    }

    @Test func whileDownOnlyTheFailedURLIsPolledThenAllAreRewalked() throws {
        let slowRetry = CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(15), retry: 0)
        var timeline = FakeTimeline(try httpSpec(paths: ["/a", "/b", "/c"], timers: slowRetry))
        timeline.pass()
        timeline.pass()
        #expect(timeline.pass().transition == nil)
        timeline.pass()  // /a
        #expect(timeline.fail(.statusCode(503)).transition == .down)  // /b fails, retry 0
        let downAt = timeline.now
        for _ in 0..<3 {
            let decision = timeline.fail(.statusCode(503))
            #expect(decision.delay == .seconds(15))  // max(15, 10)
        }
        #expect(timeline.probes.suffix(3).allSatisfy { $0.url == 1 })
        #expect(timeline.now == downAt + .seconds(45))
        // /b answers: keepalived logs per-URL success while down, then walks every URL again, one per cycle.
        var decision = timeline.pass()
        #expect(timeline.messages.last == "HTTP status code success to [10.0.0.2]:tcp:80 url(/b)")
        #expect(decision.transition == nil && decision.delay == .seconds(10) && decision.nextURLIndex == 0)
        decision = timeline.pass()
        #expect(decision.transition == nil && decision.nextURLIndex == 1)
        decision = timeline.pass()
        #expect(decision.transition == nil && decision.nextURLIndex == 2)
        decision = timeline.pass()
        #expect(decision.transition == .up)
        #expect(timeline.messages.last == "Remote Web server [10.0.0.2]:tcp:80 succeed on service.")
        #expect(timeline.probes.suffix(4).map(\.url) == [1, 0, 1, 2])
    }

    @Test func aFailureDuringTheRecoveryWalkBecomesTheFailedURL() throws {
        var timeline = FakeTimeline(try httpSpec(paths: ["/a", "/b"], timers: timers))
        timeline.fail()  // /a: down at start-up
        timeline.pass()  // /a recovers -> walk from /a
        timeline.pass()  // /a
        let decision = timeline.fail()  // /b fails while down
        #expect(decision.transition == nil)
        #expect(decision.nextURLIndex == 1)
        #expect(decision.delay == .seconds(10))
        #expect(timeline.machine.failedURL == 1)
    }

    @Test func fastRecoveryWalksBackToBack() throws {
        var timeline = FakeTimeline(try httpSpec(paths: ["/a", "/b", "/c"], fastRecovery: true, timers: timers))
        // Start-up: not yet run, so the first walk is back to back too.
        #expect(timeline.pass().delay == .zero)
        #expect(timeline.pass().delay == .zero)
        #expect(timeline.pass().delay == .seconds(10))  // cycle complete, up: normal pace
        timeline.pass()  // /a
        timeline.fail()
        #expect(timeline.fail().transition == .down)  // /b
        let polled = timeline.fail()
        #expect(polled.delay == .seconds(10))  // the failed URL is not polled back to back
        #expect(timeline.pass().delay == .zero)  // /b recovers
        #expect(timeline.pass().delay == .zero)  // /a
        #expect(timeline.pass().delay == .zero)  // /b
        let up = timeline.pass()  // /c
        #expect(up.transition == .up)
        #expect(up.delay == .seconds(10))
    }

    @Test func digestSuccessWordingWhileDown() throws {
        var timeline = FakeTimeline(
            try httpSpec(paths: ["/a"], digests: [String(repeating: "a", count: 32)], timers: timers)
        )
        timeline.fail(
            .digestMismatch(expected: String(repeating: "a", count: 32), actual: String(repeating: "b", count: 32))
        )
        timeline.pass()
        #expect(timeline.messages.contains("MD5 digest success to [10.0.0.2]:tcp:80 url(/a)"))
        // As keepalived: the recovered URL restarts the walk of every URL, so one more pass is needed.
        #expect(timeline.machine.state == .down)
        #expect(timeline.pass().transition == .up)
    }

    @Test func alphaHTTPNeedsAllURLs() throws {
        var timeline = FakeTimeline(
            try httpSpec(
                paths: ["/a", "/b"],
                timers: CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(3), alpha: true)
            )
        )
        #expect(timeline.pass().transition == nil)
        #expect(timeline.pass().transition == .up)
    }

    @Test func riseCountsFullCycles() throws {
        var timeline = FakeTimeline(
            try httpSpec(
                paths: ["/a", "/b"],
                timers: CheckTimers(delayLoop: .seconds(10), alpha: true, rise: 2, fall: 2)
            )
        )
        for _ in 0..<3 { #expect(timeline.pass().transition == nil) }
        #expect(timeline.pass().transition == .up)
        #expect(timeline.fail().transition == nil)
        #expect(timeline.fail().transition == .down)
    }
}

@Suite("State machine: MISC_CHECK exit codes and dynamic weights")
struct StateMachineMiscTests {
    let timers = CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(2), retry: 0)
    let prefix = "Misc check for [[10.0.0.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/usr/local/bin/check] "

    @Test func exitZeroUpExitOneDownRescheduledFromStart() {
        var timeline = FakeTimeline(miscSpec(timers: timers))
        let first = timeline.exit(0)
        #expect(first.delayFromStart)
        #expect(first.transition == nil)
        #expect(timeline.messages == [prefix + "succeeded."])
        let down = timeline.exit(1)
        #expect(down.transition == .down)
        #expect(timeline.messages.last == prefix + "failed with retry disabled (exited with status 1).")
        #expect(timeline.exit(0).transition == .up)
    }

    @Test func retriesCountBeforeDown() {
        var timeline = FakeTimeline(
            miscSpec(timers: CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(2), retry: 2))
        )
        timeline.exit(0)
        #expect(timeline.exit(1).delay == .seconds(2))
        #expect(timeline.exit(1).transition == nil)
        let down = timeline.exit(1)
        #expect(down.transition == .down)
        #expect(timeline.messages.last == prefix + "failed after 2 retries (exited with status 1).")
    }

    @Test func dynamicWeightsFollowTheExitCode() {
        var timeline = FakeTimeline(miscSpec(dynamic: true, timers: timers))
        var decision = timeline.probe(.exited(7, dynamic: true))
        #expect(decision.weightChanged && decision.weight == 5)
        #expect(timeline.machine.state == .up)
        decision = timeline.probe(.exited(7, dynamic: true))
        #expect(!decision.weightChanged && decision.weight == 5)
        decision = timeline.probe(.exited(2, dynamic: true))
        #expect(decision.weightChanged && decision.weight == 0)
        decision = timeline.probe(.exited(0, dynamic: true))
        #expect(decision.weightChanged && decision.weight == nil)
        decision = timeline.probe(.exited(255, dynamic: true))
        #expect(decision.weight == 253)
        decision = timeline.probe(.exited(1, dynamic: true))
        #expect(decision.transition == .down && decision.weightChanged && decision.weight == nil)
    }

    @Test func nonDynamicTreatsTwoAndAboveAsFailure() {
        var timeline = FakeTimeline(miscSpec(timers: timers))
        let decision = timeline.exit(5)
        #expect(decision.transition == .down)
        #expect(decision.weight == nil)
    }

    @Test func timeoutAndSignalWording() {
        var timeline = FakeTimeline(miscSpec(timers: timers))
        timeline.probe(.failed(.scriptTimeout(.seconds(3))))
        #expect(timeline.messages.last == prefix + "timed out with retry disabled.")
        timeline.exit(0)
        timeline.probe(.failed(.scriptSignal(9)))
        #expect(timeline.messages.last == prefix + "failed with retry disabled (due to signal 9).")
    }
}

@Suite("State machine: per-attempt failure lines (log_all_failures)")
struct FailureLineTests {
    let id = CheckerID(virtualServer: "[10.0.0.1]:tcp:80", realServer: "[10.0.0.2]:tcp:80")

    @Test func tcpAttemptLines() {
        var machine = CheckerStateMachine(spec: tcpSpec(CheckTimers(retry: 3)))
        _ = machine.record(.success())
        #expect(
            machine.record(.failed(.connectTimeout)).failureMessage?.rendered(for: id)
                == "TCP connection to [10.0.0.2]:tcp:80 timeout."
        )
        #expect(
            machine.record(.failed(.connectionRefused)).failureMessage?.rendered(for: id)
                == "TCP connection to [10.0.0.2]:tcp:80 failed."
        )
    }

    @Test func httpAttemptLines() throws {
        var machine = CheckerStateMachine(spec: try httpSpec(paths: ["/"], timers: CheckTimers(retry: 2)))
        _ = machine.record(.success())
        #expect(
            machine.record(.failed(.statusCode(500))).failureMessage?.rendered(for: id)
                == "HTTP status code error to server [10.0.0.2]:tcp:80."
        )
        #expect(
            machine.record(.failed(.connectTimeout)).failureMessage?.rendered(for: id)
                == "Timeout connecting server [10.0.0.2]:tcp:80."
        )
    }

    @Test func miscAttemptLines() {
        var machine = CheckerStateMachine(spec: miscSpec(timers: CheckTimers(retry: 2)))
        _ = machine.record(.exited(0))
        let prefix = "Misc check for [[10.0.0.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/usr/local/bin/check] "
        #expect(
            machine.record(.exited(1)).failureMessage?.rendered(for: id) == prefix
                + "failed, will do 2 retries (exited with status 1)."
        )
        #expect(
            machine.record(.exited(1)).failureMessage?.rendered(for: id) == prefix
                + "failed on retry 1/2 (exited with status 1)."
        )
        let last = machine.record(.exited(1))
        #expect(last.transition == .down)
        #expect(last.messages.first?.rendered(for: id) == prefix + "failed after 2 retries (exited with status 1).")
    }
}
