import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import HealthCheck

/// Wraps the real prober and counts finished probes.
final class CountingProber: CheckProber {
    let real = NIOCheckProber()
    let finished = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let seen = Mutex<Set<CheckProbe>>([])

    func probe(_ probe: CheckProbe, urlIndex: Int, defaultTimeout: Duration, on eventLoop: any EventLoop)
        -> EventLoopFuture<ProbeResult>
    {
        real.probe(probe, urlIndex: urlIndex, defaultTimeout: defaultTimeout, on: eventLoop).map { [self] result in
            finished.add(1, ordering: .relaxed)
            seen.withLock { _ = $0.insert(probe) }
            if result.failure != nil { failed.add(1, ordering: .relaxed) }
            return result
        }
    }
}

/// CPU time (user + system) consumed so far by the calling thread.
func threadCPUTime() -> Duration {
    var usage = rusage()
    getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD
    let micros =
        (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
    return .microseconds(Int64(micros))
}

@Suite("CheckEngine at scale", .serialized, .timeLimit(.minutes(1)))
struct EngineScaleTests {
    /// 1,000 distinct TCP checks at delay_loop 1 s on one event-loop thread: every check keeps its pace and the
    /// engine thread stays far from saturated.
    @Test func thousandTCPChecksOnOneThread() async throws {
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let prober = CountingProber()
        let engine = CheckEngine(eventLoopGroup: group, prober: prober, logger: quietLogger)
        let timers = CheckTimers(delayLoop: .seconds(1), retry: 1, warmup: .seconds(1))
        // Distinct specs (the connect timeout differs by 1 µs) so that deduplication does not merge them.
        let configs = (0..<1000).map { index in
            CheckerConfig(
                id: CheckerID(virtualServer: "VS", realServer: "RS\(index)"),
                spec: CheckSpec(
                    probe: .tcp(
                        TCPCheck(target: server.target, connectTimeout: .seconds(5) + .microseconds(Int64(index)))
                    ),
                    timers: timers
                )
            )
        }
        await engine.apply(configs)
        // Every check has started by t = 2 s; measure a 3 s window after that.
        try await Task.sleep(for: .seconds(2))
        let loop = group.next()
        let cpuBefore = try await loop.submit { threadCPUTime() }.get()
        let probesBefore = prober.finished.load(ordering: .relaxed)
        prober.seen.withLock { $0.removeAll() }
        try await Task.sleep(for: .seconds(3))
        let cpuAfter = try await loop.submit { threadCPUTime() }.get()
        let probes = prober.finished.load(ordering: .relaxed) - probesBefore
        let cpu = cpuAfter - cpuBefore
        print(
            "1000 TCP checks: \(probes) probes in 3 s, engine thread CPU \(cpu), failures \(prober.failed.load(ordering: .relaxed))"
        )
        // Checks reschedule delay_loop after completion (keepalived), so a loaded machine stretches the period;
        // every check must still have run in the window, and none may run twice per period.
        #expect(prober.seen.withLock { $0.count } == 1000)
        #expect(probes >= 1500 && probes <= 3300)
        // A starved accept thread on a loaded machine may drop a SYN now and then; anything systematic (descriptor
        // exhaustion, a stuck loop) fails far more.
        #expect(prober.failed.load(ordering: .relaxed) <= 10)
        #expect(cpu < .seconds(2))  // well under one core even in a debug build
        await engine.shutdown()
        try await group.shutdownGracefully()
    }
}

@Suite("CheckEngine reload at scale", .timeLimit(.minutes(3)))
struct EngineReloadScaleTests {
    /// keepalived's reload was quadratic in the number of checkers (#2318); ours is linear.
    @Test func tenThousandCheckersReloadQuickly() async throws {
        let prober = ScriptedProber { _, _ in .success() }
        // The engine's own thread, so that its CPU time (not stretched by a busy machine) measures the reload.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let engine = CheckEngine(eventLoopGroup: group, prober: prober, random: { 0 }, logger: quietLogger)
        let timers = CheckTimers(delayLoop: .seconds(600))
        var configs = (0..<10_000).map { index in
            tcpConfig("RS\(index)", port: 1 + index % 60_000, vs: "VS\(index / 100)", timers: timers)
        }
        let first = await engine.apply(configs)
        #expect(first.added.count == 10_000)
        configs[42].spec.timers.retry = 3
        configs.removeLast()
        let loop = group.next()
        let started = ContinuousClock.now
        let cpuBefore = try await loop.submit { threadCPUTime() }.get()
        let second = await engine.apply(configs)
        let cpu = try await loop.submit { threadCPUTime() }.get() - cpuBefore
        let elapsed = ContinuousClock.now - started
        #expect(second.changed == [configs[42].id])
        #expect(second.removed.count == 1 && second.kept.count == 9_998 && second.added.isEmpty)
        print("reload of 10,000 checkers: \(cpu) CPU, \(elapsed) wall")
        // Under 0.1 s of CPU in a debug build; a quadratic reload (10^8 comparisons of checker configurations)
        // takes minutes.
        #expect(cpu < .seconds(5))
        await engine.shutdown()
        try await group.shutdownGracefully()
    }
}
