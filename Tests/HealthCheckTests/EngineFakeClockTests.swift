import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import HealthCheck

/// A scripted prober that records, for each probe, the fake-clock time and the URL index.
final class TimedProber: CheckProber {
    let origin: NIODeadline
    let log = Mutex<[(at: Duration, url: Int)]>([])
    let answers: Mutex<[ProbeResult]>

    init(origin: NIODeadline, answers: [ProbeResult]) {
        self.origin = origin
        self.answers = Mutex(answers)
    }

    func probe(_ probe: CheckProbe, urlIndex: Int, defaultTimeout: Duration, on eventLoop: any EventLoop)
        -> EventLoopFuture<ProbeResult>
    {
        log.withLock { $0.append((.nanoseconds((eventLoop.now - origin).nanoseconds), urlIndex)) }
        let next = answers.withLock { $0.isEmpty ? ProbeResult.success() : $0.removeFirst() }
        return eventLoop.makeSucceededFuture(next)
    }

    var times: [Duration] { log.withLock { $0.map(\.at) } }
    var urls: [Int] { log.withLock { $0.map(\.url) } }
}

@Suite("CheckEngine on a fake clock (NIOAsyncTestingEventLoop)", .timeLimit(.minutes(1)))
struct EngineFakeClockTests {
    @Test func tcpRetryTimelineAndTransitions() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let prober = TimedProber(
            origin: loop.now,
            answers: [
                .success(), .failed(.connectionRefused), .failed(.connectionRefused), .failed(.connectionRefused),
                .success(),
            ]
        )
        let engine = CheckEngine(eventLoopGroup: loop, prober: prober, random: { 0.5 }, logger: quietLogger)
        let collector = TransitionCollector(engine)
        let timers = CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(2), retry: 1, warmup: .seconds(4))
        await engine.add(tcpConfig("[10.0.0.2]:tcp:80", port: 80, timers: timers))
        await loop.advanceTime(by: .seconds(60))
        // first run at 1 + 4 × 0.5 = 3 s; success → +10; failure → retry +2; failure → DOWN, +10;
        // failure while down → +10 without counting; success → UP.
        #expect(
            prober.times == [
                .seconds(3), .seconds(13), .seconds(15), .seconds(25), .seconds(35), .seconds(45), .seconds(55),
            ]
        )
        #expect(await collector.wait { $0.count == 2 })
        #expect(collector.all.map(\.state) == [.down, .up])
        #expect(collector.all.first?.failure == .connectionRefused)
        await engine.shutdown()
        await loop.shutdownGracefully()
    }

    @Test func httpCyclesOneURLPerDelayLoop() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let prober = TimedProber(origin: loop.now, answers: [])
        let engine = CheckEngine(eventLoopGroup: loop, prober: prober, random: { 0 }, logger: quietLogger)
        let spec = try httpSpec(
            paths: ["/a", "/b", "/c"],
            timers: CheckTimers(delayLoop: .seconds(5), delayBeforeRetry: .seconds(3))
        )
        await engine.add(CheckerConfig(id: CheckerID(virtualServer: "VS", realServer: "RS"), spec: spec))
        await loop.advanceTime(by: .seconds(22))
        #expect(prober.times == [.seconds(1), .seconds(6), .seconds(11), .seconds(16), .seconds(21)])
        #expect(prober.urls == [0, 1, 2, 0, 1])
        await engine.shutdown()
        await loop.shutdownGracefully()
    }

    @Test func miscReschedulesFromTheStartOfTheRun() async throws {
        let loop = NIOAsyncTestingEventLoop()
        // The scripted MISC run "takes" 3 s of fake time before answering.
        final class SlowProber: CheckProber {
            let starts = Mutex<[NIODeadline]>([])
            func probe(_ probe: CheckProbe, urlIndex: Int, defaultTimeout: Duration, on eventLoop: any EventLoop)
                -> EventLoopFuture<ProbeResult>
            {
                starts.withLock { $0.append(eventLoop.now) }
                return eventLoop.scheduleTask(in: .seconds(3)) { ProbeResult.exited(0) }.futureResult
            }
        }
        let prober = SlowProber()
        let engine = CheckEngine(eventLoopGroup: loop, prober: prober, random: { 0 }, logger: quietLogger)
        let spec = CheckSpec(
            probe: .misc(MiscCheck(path: "/bin/true")),
            timers: CheckTimers(delayLoop: .seconds(10), retry: 0)
        )
        let origin = loop.now
        await engine.add(CheckerConfig(id: CheckerID(virtualServer: "VS", realServer: "RS"), spec: spec))
        await loop.advanceTime(by: .seconds(35))
        let starts = prober.starts.withLock { $0 }.map { ($0 - origin).nanoseconds / 1_000_000_000 }
        #expect(starts == [1, 11, 21, 31])  // every delay_loop from each start, not from each end
        await engine.shutdown()
        await loop.shutdownGracefully()
    }

    @Test func reloadKeepsTheScheduleOfUnchangedCheckers() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let prober = TimedProber(origin: loop.now, answers: [])
        let engine = CheckEngine(eventLoopGroup: loop, prober: prober, random: { 0 }, logger: quietLogger)
        let timers = CheckTimers(delayLoop: .seconds(10))
        let a = tcpConfig("A", port: 1, timers: timers)
        await engine.apply([a])
        await loop.advanceTime(by: .seconds(15))  // probes at 1; next at 11 → ran; next at 21
        let b = tcpConfig("B", port: 2, timers: timers)
        let summary = await engine.apply([a, b])
        #expect(summary.kept == [a.id] && summary.added == [b.id])
        await loop.advanceTime(by: .seconds(10))  // now 25: a at 21, b at 16
        #expect(prober.times == [.seconds(1), .seconds(11), .seconds(16), .seconds(21)])
        await engine.shutdown()
        await loop.shutdownGracefully()
    }
}

@Suite("CheckEngine reload keeps shared state", .timeLimit(.minutes(1)))
struct EngineReloadStateTests {
    @Test func aCheckMovedToAnotherVirtualServerKeepsItsState() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let prober = TimedProber(origin: loop.now, answers: [.failed(.connectionRefused)])
        let engine = CheckEngine(eventLoopGroup: loop, prober: prober, random: { 0 }, logger: quietLogger)
        let old = tcpConfig("[10.0.0.2]:tcp:80", port: 80, vs: "VS1", timers: CheckTimers(delayLoop: .seconds(10)))
        await engine.apply([old])
        await loop.advanceTime(by: .seconds(2))
        #expect(await engine.state(of: old.id) == .down)
        var moved = old
        moved.id.virtualServer = "VS2"
        let summary = await engine.apply([moved])
        #expect(summary.removed == [old.id] && summary.added == [moved.id])
        #expect(await engine.state(of: moved.id) == .down)  // same probe, state kept
        await loop.advanceTime(by: .seconds(10))
        #expect(prober.times == [.seconds(1), .seconds(11)])  // and its schedule
        await engine.shutdown()
        await loop.shutdownGracefully()
    }
}

@Suite("CheckEngine probe observer", .timeLimit(.minutes(1)))
struct EngineObserverTests {
    @Test func everyProbeIsObservedWithItsSubscribers() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let prober = TimedProber(origin: loop.now, answers: [.success(latency: .milliseconds(7))])
        let seen = Mutex<[([CheckerID], Duration)]>([])
        let engine = CheckEngine(
            eventLoopGroup: loop,
            prober: prober,
            random: { 0 },
            probeObserver: { ids in { result in seen.withLock { $0.append((ids, result.latency)) } } },
            logger: quietLogger
        )
        let a = tcpConfig("RS", port: 80, vs: "VS1", timers: CheckTimers(delayLoop: .seconds(10)))
        var b = a
        b.id.virtualServer = "VS2"
        await engine.apply([a, b])
        await loop.advanceTime(by: .seconds(12))
        let observed = seen.withLock { $0 }
        #expect(observed.count == 2)
        #expect(observed.first.map { Set($0.0) } == [a.id, b.id])
        #expect(observed.first?.1 == .milliseconds(7))
        await engine.shutdown()
        await loop.shutdownGracefully()
    }
}
