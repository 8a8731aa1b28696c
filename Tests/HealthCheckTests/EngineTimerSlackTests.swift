import NIOCore
import NIOEmbedded
import Testing

@testable import HealthCheck

/// `timerSlack`: checks start on a grid, so checks due within one step start together.
@Suite("CheckEngine timer slack", .timeLimit(.minutes(1)))
struct EngineTimerSlackTests {
    @Test func checksDueWithinOneStepStartTogether() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let origin = loop.now
        let prober = TimedProber(origin: origin, answers: [])
        let engine = CheckEngine(eventLoopGroup: loop, prober: prober, random: { 0.5 }, logger: quietLogger,
                                 timerSlack: .milliseconds(10))
        // First runs due at 1 + 0.5 × warmup: 3.0015 s and 3.002 s (nearest grid point: 3.000 s for both),
        // then every 1 s after the start of the previous run.
        let early = CheckTimers(delayLoop: .seconds(1), warmup: .milliseconds(4003))
        let late = CheckTimers(delayLoop: .seconds(1), warmup: .milliseconds(4004))
        await engine.add(tcpConfig("[10.0.0.2]:tcp:80", port: 80, timers: early))
        await engine.add(tcpConfig("[10.0.0.3]:tcp:80", port: 81, timers: late))
        await loop.advanceTime(by: .milliseconds(5500))
        let times = prober.times
        #expect(times.count == 6)
        #expect(Set(times) == [.seconds(3), .seconds(4), .seconds(5)])
        await engine.shutdown()
        await loop.shutdownGracefully()
    }

    @Test func zeroSlackKeepsExactTimes() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let prober = TimedProber(origin: loop.now, answers: [])
        let engine = CheckEngine(eventLoopGroup: loop, prober: prober, random: { 0.5 }, logger: quietLogger)
        await engine.add(tcpConfig("[10.0.0.2]:tcp:80", port: 80,
                                   timers: CheckTimers(delayLoop: .seconds(1), warmup: .milliseconds(4003))))
        await loop.advanceTime(by: .milliseconds(3600))
        #expect(prober.times == [.microseconds(3_001_500)])
        await engine.shutdown()
        await loop.shutdownGracefully()
    }
}
