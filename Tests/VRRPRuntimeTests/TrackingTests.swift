import Synchronization
import Testing
@testable import VRRPRuntime

/// keepalived's tracking arithmetic, rise/fall counting and notify arguments.
@Suite struct TrackingTests {
    @Test func weightsAddAndSubtractAsKeepalivedDoes() {
        var plan = TrackingPlan()
        plan.scripts = [TrackedItem(name: "up10", weight: 10), TrackedItem(name: "down-20", weight: -20),
                        TrackedItem(name: "rev5", weight: 5, reverse: true)]
        plan.interfaces = [TrackedItem(name: "eth0", weight: 0), TrackedItem(name: "eth1", weight: -7)]
        var t = TrackingState(plan: plan)
        // All up: +10 (up10 up) + 0 (down-20 up) + 0 (rev5 up: reverse applies while down) + 0 + 0.
        #expect(t.weightTotal == 10 && !t.isFaulted)
        var changed = t.setScript("up10", up: false)
        #expect(changed && t.weightTotal == 0)
        changed = t.setScript("down-20", up: false)
        #expect(changed && t.weightTotal == -20)
        changed = t.setScript("rev5", up: false)
        #expect(changed && t.weightTotal == -15)
        changed = t.setScript("rev5", up: false)
        #expect(!changed, "no change reported twice")
        changed = t.setScript("unknown", up: false)
        #expect(!changed, "untracked names change nothing")
        changed = t.setInterface("eth1", up: false)
        #expect(changed && t.weightTotal == -22 && !t.isFaulted)
        changed = t.setInterface("eth0", up: false)
        #expect(changed && t.isFaulted, "weight 0: down is FAULT")
        changed = t.setInterface("eth0", up: true)
        #expect(changed && !t.isFaulted)
    }

    @Test func zeroWeightScriptsAndFilesFault() {
        var plan = TrackingPlan()
        plan.scripts = [TrackedItem(name: "must", weight: 0)]
        plan.files = [TrackedFilePlan(name: "f", path: "/x", weight: 0, reverse: false),
                      TrackedFilePlan(name: "g", path: "/y", weight: 3, reverse: true)]
        var t = TrackingState(plan: plan, initialScripts: ["must": false])
        #expect(t.isFaulted, "init_fail: down from the start")
        t.setScript("must", up: true)
        #expect(!t.isFaulted)
        t.setFile("g", value: 4)
        #expect(t.weightTotal == -12)
        t.setFile("f", value: 1)
        #expect(t.isFaulted)
    }

    @Test func riseAndFallCountRunsInARow() {
        var v = ScriptVerdicts(rise: 2, fall: 3, up: true)
        let runs: [Bool] = [false, false, true, false, false, false, true, true]
        let verdicts = runs.map { v.record(success: $0) }
        // A success resets the failure streak; three failures in a row take it down, two successes bring it up.
        #expect(verdicts == [nil, nil, nil, nil, nil, false, nil, true])
        #expect(v.up)
    }

    @Test func notifyArgumentsAreKeepalivedsOwn() {
        var plan = NotifyPlan()
        plan.master = .init(arguments: ["/m.sh", "x"])
        plan.generic = .init(arguments: ["/n.sh"])
        let master = Notifier.programs(for: plan, kind: "INSTANCE", name: "VI_1", state: "MASTER", priority: 150)
        #expect(master.map(\.arguments) == [["/m.sh", "x"], ["/n.sh", "INSTANCE", "VI_1", "MASTER", "150"]])
        let fault = Notifier.programs(for: plan, kind: "GROUP", name: "G", state: "FAULT", priority: 0)
        #expect(fault.map(\.arguments) == [["/n.sh", "GROUP", "G", "FAULT", "0"]])
    }

    /// keepalived's clear_diff_vrrp / send_instance_notifies for an instance a reload removed.
    @Test func aDeletedInstanceNotifiesDeletedOnlyWithNotifyDeleted() throws {
        var plan = NotifyPlan()
        plan.fault = .init(arguments: ["/f.sh"])
        plan.generic = .init(arguments: ["/n.sh"])
        // Without notify_deleted: FAULT to the generic script only (not notify_fault), nothing if it was in FAULT.
        let old = try #require(Notifier.deletion(for: plan, name: "VI_1", wasFault: false, priority: 100))
        #expect(old.state == "FAULT")
        #expect(old.programs.map(\.arguments) == [["/n.sh", "INSTANCE", "VI_1", "FAULT", "100"]])
        #expect(Notifier.deletion(for: plan, name: "VI_1", wasFault: true, priority: 100) == nil)
        // With it: its script, then DELETED to the generic one, even from FAULT.
        plan.notifyDeleted = true
        plan.deleted = .init(arguments: ["/d.sh", "gone"])
        let new = try #require(Notifier.deletion(for: plan, name: "VI_1", wasFault: true, priority: 90))
        #expect(new.state == "DELETED")
        #expect(new.programs.map(\.arguments) == [["/d.sh", "gone"], ["/n.sh", "INSTANCE", "VI_1", "DELETED", "90"]])
    }

    @Test func splitBrainCausesAreConfigurationMismatchesOnly() {
        #expect(SplitBrain.cause(of: .intervalMismatch(mineSeconds: 1, receivedSeconds: 2)) == "advert interval")
        #expect(SplitBrain.cause(of: .passwordMismatch) == "authentication")
        #expect(SplitBrain.cause(of: .ttlNot255(received: 64)) == nil)
    }
}

/// The engine loop's timer arithmetic.
@Suite struct EngineTimerTests {
    @Test func timeoutsRoundUpAndAPassedDeadlineIsZeroNotForever() {
        let now = ContinuousClock.now
        #expect(EngineExecutor.timeout(until: now + .milliseconds(100), now: now) == 100_000_000)
        #expect(EngineExecutor.timeout(until: now + .microseconds(100_001), now: now) == 100_001_000)
        #expect(EngineExecutor.timeout(until: now + .nanoseconds(1), now: now) == 1)
        #expect(EngineExecutor.timeout(until: now + .seconds(2), now: now) == 2_000_000_000)
        #expect(EngineExecutor.timeout(until: now + .seconds(Int64.max / 2), now: now) == Int64.max)
        // Overdue by less than a second: Duration's components are then (0, negative attoseconds).
        #expect(EngineExecutor.timeout(until: now - .milliseconds(5), now: now) == 0)
        #expect(EngineExecutor.timeout(until: now - .seconds(3), now: now) == 0)
        #expect(EngineExecutor.timeout(until: now, now: now) == 0)
    }

    @Test func theHeapGivesDeadlinesInOrder() {
        let now = Duration.seconds(7)  // the heap holds offsets from its owner's epoch
        var heap = TimerHeap()
        let offsets = [50, 3, 99, 3, 0, 71, 12, 88, 1, 42]
        for (token, ms) in offsets.enumerated() { heap.push(now + .milliseconds(ms), token) }
        var popped: [Int] = []
        while let t = heap.pop() { popped.append(offsets[t]) }
        #expect(popped == offsets.sorted())
        #expect(heap.first == nil)
    }

    /// Settling before a sleep: entries re-armed later move back (no wake-up for them), cancelled ones go, and the
    /// earliest current deadline ends on top; a deadline moved earlier comes first.
    @Test func settlingMovesReArmedTimersAndDropsCancelledOnes() {
        let now = Duration.seconds(7)  // the heap holds offsets from its owner's epoch
        var heap = TimerHeap()
        for token in 0..<6 { heap.push(now + .milliseconds(10 * token), token) }
        // 0 and 1 re-armed 500 ms later, 2 cancelled, 3 current, 4 moved earlier than everything, 5 current.
        var current: [Int: Duration] = [0: now + .milliseconds(500), 1: now + .milliseconds(510),
                                                       3: now + .milliseconds(30), 4: now - .milliseconds(1),
                                                       5: now + .milliseconds(50)]
        var asked = 0
        heap.settle(before: now + .seconds(1)) { asked += 1; return current[$0] }
        #expect(heap.first == now + .milliseconds(30), "the first current deadline is on top")
        #expect(asked == 4, "0, 1 moved, 2 dropped, 3 current: \(asked)")
        current[3] = nil
        heap.settle(before: now + .seconds(1)) { current[$0] }
        #expect(heap.first == now - .milliseconds(1), "4 moved earlier than everything")
        var popped: [Int] = []
        while heap.first != nil {
            heap.settle(before: now + .seconds(1)) { current[$0] }
            if let t = heap.pop() { popped.append(t) }
        }
        #expect(popped == [4, 5, 0, 1])

        // Entries beyond the limit are not looked at.
        heap.push(now + .milliseconds(20), 7)
        var looked = 0
        heap.settle(before: now + .milliseconds(10)) { _ in looked += 1; return nil }
        #expect(looked == 0 && heap.first == now + .milliseconds(20))
    }
}

/// The engine loop's own thread firing timers: short sleeps end by `epoll_wait`'s timeout, long ones by the
/// timerfd (an epoll timeout may be 0.1% of its length late); either way a timer fires, never before its instant.
@Suite struct EngineLoopTimerTests {
    /// An actor on an engine loop, as the VRRP engine is, to reach the loop's thread-confined calls.
    actor OnLoop {
        nonisolated let executor: EngineExecutor
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
        init() throws { executor = try EngineExecutor() }

        func schedule(_ delays: [Duration], fired: @escaping @Sendable (Int, ContinuousClock.Instant) -> Void) -> [ContinuousClock.Instant] {
            executor.setTimerHandler(fired)
            let now = ContinuousClock.now
            var deadlines: [ContinuousClock.Instant] = []
            for (token, delay) in delays.enumerated() {
                deadlines.append(now + delay)
                executor.schedule(token, at: now + delay)
            }
            return deadlines
        }
    }

    @Test func shortAndLongSleepsBothFireOnOrAfterTheirInstant() async throws {
        let loop = try OnLoop()
        let fired = Mutex<[Int: ContinuousClock.Instant]>([:])
        // 10 ms: the epoll timeout; 120 ms and 400 ms: the timerfd (one re-armed after the other).
        let deadlines = await loop.schedule([.milliseconds(10), .milliseconds(400), .milliseconds(120)]) { token, _ in
            fired.withLock { $0[token] = ContinuousClock.now }
        }
        var waited = Duration.zero
        while fired.withLock({ $0.count }) < 3 && waited < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
            waited += .milliseconds(20)
        }
        let times = fired.withLock { $0 }
        #expect(times.count == 3, "every timer fired")
        for (token, at) in times { #expect(at >= deadlines[token], "timer \(token) fired early") }
        if let a = times[0], let b = times[2], let c = times[1] { #expect(a < b && b < c, "in deadline order") }
    }
}
