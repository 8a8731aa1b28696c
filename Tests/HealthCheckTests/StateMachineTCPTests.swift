import Testing

@testable import HealthCheck

@Suite("State machine: TCP_CHECK retry counting on a fake clock")
struct StateMachineTCPTests {
    @Test func keepalivedDefaults() {
        let tcp = CheckTimers.defaults(for: .tcp)
        #expect(
            tcp.delayLoop == .seconds(60) && tcp.retry == 1 && tcp.delayBeforeRetry == .seconds(1)
                && tcp.warmup == .seconds(60)
        )
        let http = CheckTimers.defaults(for: .http)
        #expect(http.delayBeforeRetry == .seconds(3) && http.retry == 1)
        #expect(CheckTimers.defaults(for: .ssl).delayBeforeRetry == .seconds(3))
        let misc = CheckTimers.defaults(for: .misc, delayLoop: .seconds(5))
        #expect(misc.retry == 0 && misc.warmup == .seconds(5))
        #expect(TCPCheck(target: CheckTarget(host: "10.0.0.2", port: 80)).connectTimeout == .seconds(5))
    }

    @Test func startsOptimisticAndFirstFailureIsDownAtOnce() {
        var timeline = FakeTimeline(tcpSpec())
        #expect(timeline.machine.state == .up)
        #expect(timeline.now == .seconds(1))  // warmup random 0
        let decision = timeline.fail()
        #expect(decision.transition == .down)
        #expect(decision.delay == .seconds(10))
        #expect(timeline.messages == ["TCP_CHECK on service [10.0.0.2]:tcp:80 failed."])
    }

    @Test func firstSuccessLogsWithoutTransition() {
        var timeline = FakeTimeline(tcpSpec())
        let decision = timeline.pass()
        #expect(decision.transition == nil)
        #expect(decision.delay == .seconds(10))
        #expect(timeline.messages == ["TCP connection to [10.0.0.2]:tcp:80 success."])
        timeline.pass()
        #expect(timeline.messages.count == 1)  // steady state logs nothing
    }

    @Test func downAfterRetryPlusOneFailuresWithDelayBeforeRetry() {
        var timeline = FakeTimeline(
            tcpSpec(CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(2), retry: 3))
        )
        timeline.pass()  // t=1
        var decisions: [CheckDecision] = []
        for _ in 0..<4 { decisions.append(timeline.fail()) }
        #expect(decisions.prefix(3).allSatisfy { $0.transition == nil && $0.delay == .seconds(2) })
        #expect(decisions[3].transition == .down)
        #expect(decisions[3].delay == .seconds(10))
        #expect(timeline.probes.map(\.at) == [.seconds(1), .seconds(11), .seconds(13), .seconds(15), .seconds(17)])
        #expect(timeline.messages.last == "TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 3 retries.")
    }

    @Test func successResetsTheRetryCounter() {
        var timeline = FakeTimeline(tcpSpec())  // retry 1
        timeline.pass()
        timeline.fail()
        timeline.pass()
        let again = timeline.fail()
        #expect(again.transition == nil)
        #expect(timeline.machine.state == .up)
        #expect(timeline.fail().transition == .down)
    }

    @Test func whileDownFailuresDoNotCountAndOneSuccessIsUp() {
        var timeline = FakeTimeline(tcpSpec(CheckTimers(delayLoop: .seconds(10), retry: 2)))
        timeline.fail()  // start-up: down at once
        let start = timeline.now
        for _ in 0..<5 {
            let decision = timeline.fail()
            #expect(decision.delay == .seconds(10))
            #expect(decision.transition == nil)
            #expect(decision.messages.isEmpty)
        }
        #expect(timeline.now == start + .seconds(50))
        let up = timeline.pass()
        #expect(up.transition == .up)
        #expect(timeline.messages.last == "TCP connection to [10.0.0.2]:tcp:80 success.")
        // Back up: the retry counter is fresh (2 retries before down).
        #expect(timeline.fail().transition == nil)
        #expect(timeline.fail().transition == nil)
        #expect(timeline.fail().transition == .down)
    }

    @Test func alphaStartsDownAndOneSuccessIsUp() {
        var timeline = FakeTimeline(tcpSpec(CheckTimers(delayLoop: .seconds(10), alpha: true)))
        #expect(timeline.machine.state == .down)
        #expect(timeline.pass().transition == .up)
    }

    @Test func alphaFirstFailureLogsButDoesNotTransition() {
        var timeline = FakeTimeline(tcpSpec(CheckTimers(delayLoop: .seconds(10), alpha: true)))
        let decision = timeline.fail()
        #expect(decision.transition == nil)
        #expect(timeline.machine.state == .down)
        #expect(timeline.messages == ["TCP_CHECK on service [10.0.0.2]:tcp:80 failed."])
    }

    @Test(arguments: [(0.0, 1.0), (0.5, 6.0), (1.0, 11.0)])
    func warmupJitter(random: Double, expectedSeconds: Double) {
        let machine = CheckerStateMachine(spec: tcpSpec(CheckTimers(delayLoop: .seconds(10))))  // warmup = 10 s
        #expect(machine.initialDelay(random: random) == .milliseconds(Int64(expectedSeconds * 1000)))
    }

    @Test func warmupZeroHasNoJitter() {
        let machine = CheckerStateMachine(spec: tcpSpec(CheckTimers(delayLoop: .seconds(10), warmup: .zero)))
        #expect(machine.initialDelay(random: 0.9) == .seconds(1))
    }

    @Test func retryZeroGoesDownOnFirstFailure() {
        var timeline = FakeTimeline(tcpSpec(CheckTimers(delayLoop: .seconds(10), retry: 0)))
        timeline.pass()
        #expect(timeline.fail().transition == .down)
        #expect(timeline.messages.last == "TCP_CHECK on service [10.0.0.2]:tcp:80 failed.")
    }
}

@Suite("State machine: rise/fall extension")
struct StateMachineRiseFallTests {
    @Test func fallCountsConsecutiveFailuresEvenAtStartUp() {
        var timeline = FakeTimeline(
            tcpSpec(CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(1), retry: 5, fall: 3))
        )
        #expect(timeline.machine.fallThreshold == 3)
        #expect(timeline.fail().transition == nil)
        #expect(timeline.fail().transition == nil)
        let third = timeline.fail()
        #expect(third.transition == .down)
        #expect(timeline.messages.last == "TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 2 retries.")
    }

    @Test func riseNeedsConsecutiveSuccesses() {
        var timeline = FakeTimeline(tcpSpec(CheckTimers(delayLoop: .seconds(10), alpha: true, rise: 3, fall: 1)))
        #expect(timeline.pass().transition == nil)
        #expect(timeline.pass().transition == nil)
        timeline.fail()  // breaks the run
        #expect(timeline.pass().transition == nil)
        #expect(timeline.pass().transition == nil)
        #expect(timeline.pass().transition == .up)
        #expect(timeline.fail().transition == .down)  // fall 1
    }

    @Test func riseOnlyKeepsRetryBasedFall() {
        let machine = CheckerStateMachine(spec: tcpSpec(CheckTimers(retry: 2, rise: 2)))
        #expect(machine.fallThreshold == 3)
        #expect(machine.riseThreshold == 2)
    }
}

@Suite("State machine: degenerate timers")
struct DegenerateTimerTests {
    @Test func zeroDelaysNeverSpin() {
        var timeline = FakeTimeline(tcpSpec(CheckTimers(delayLoop: .zero, delayBeforeRetry: .seconds(-1), retry: 2)))
        #expect(timeline.pass().delay == .milliseconds(1))
        #expect(timeline.fail().delay == .milliseconds(1))
    }
}
