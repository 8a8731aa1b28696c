import Foundation
import NIOCore
import Synchronization
import Testing

@testable import HealthCheck

/// Steady TCP checks repeated by the prober's thread itself (``PeriodicTCPCheck``), against real local sockets.
@Suite("Periodic TCP checks on the prober's thread", .timeLimit(.minutes(1)))
struct PeriodicTCPCheckTests {
    final class Record: Sendable {
        let observed = Mutex<[ProbeResult]>([])
        let deviations = Mutex<[ProbeResult]>([])
        var observedCount: Int { observed.withLock { $0.count } }
        var deviationCount: Int { deviations.withLock { $0.count } }
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    private func start(_ prober: TCPConnectProber, _ target: CheckTarget, expectSuccess: Bool, record: Record)
        -> PeriodicTCPCheck?
    {
        prober.startPeriodic(
            TCPCheck(target: target, connectTimeout: .milliseconds(500)),
            firstStart: NIODeadline.now().uptimeNanoseconds, interval: .milliseconds(40), slack: .zero,
            expectSuccess: expectSuccess,
            observe: { result in record.observed.withLock { $0.append(result) } },
            deviate: { result in record.deviations.withLock { $0.append(result) } })
    }

    /// Runs start at the nearest grid point, so on average a run is neither early nor late and the period stays
    /// the configured one (rounding up made each run up to a step late: 1 s checks on a 50 ms grid ran every
    /// 1.025 s on average).
    @Test func gridPointIsTheNearestOneSoThePeriodDoesNotDrift() {
        #expect(PeriodicTCPCheck.nearestGridPoint(1_234, step: 0) == 1_234)
        #expect(PeriodicTCPCheck.nearestGridPoint(1_000, step: 10) == 1_000)
        #expect(PeriodicTCPCheck.nearestGridPoint(1_004, step: 10) == 1_000)
        #expect(PeriodicTCPCheck.nearestGridPoint(1_005, step: 10) == 1_010)
        #expect(PeriodicTCPCheck.nearestGridPoint(1_009, step: 10) == 1_010)
        // A check repeated 1 s after each 3 ms check on a 50 ms grid, from 1,000 different phases: the mean gap
        // between starts stays at the interval (to within the check time), where rounding up gave 1,050 ms.
        let step: UInt64 = 50_000_000, interval: UInt64 = 1_000_000_000, checkTime: UInt64 = 3_000_000
        var total: UInt64 = 0, runs: UInt64 = 0
        for phase in 0..<UInt64(1_000) {
            var start = PeriodicTCPCheck.nearestGridPoint(phase * 977_777, step: step)
            for _ in 0..<20 {
                let next = PeriodicTCPCheck.nearestGridPoint(start + checkTime + interval, step: step)
                total += next - start
                runs += 1
                start = next
            }
        }
        let mean = Double(total) / Double(runs) / 1e6
        #expect(mean >= 997 && mean <= 1_006, "mean gap \(mean) ms")
    }

    @Test func repeatsWhileSteadyAndReportsTheFirstChangeOnce() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        let record = Record()
        let periodic = try #require(start(prober, server.target, expectSuccess: true, record: record))
        defer { periodic.cancel() }
        try await waitUntil { record.observedCount >= 3 }
        #expect(record.observedCount >= 3)
        #expect(record.observed.withLock { $0.allSatisfy(\.succeeded) })
        #expect(record.deviationCount == 0)

        await server.stop()
        try await waitUntil { record.deviationCount >= 1 }
        #expect(record.deviations.withLock { $0.map(\.failure) } == [.connectionRefused])
        // The repetition ended with that report: nothing more is observed.
        let seen = record.observedCount
        try await Task.sleep(for: .milliseconds(250))
        #expect(record.observedCount == seen)
        #expect(record.deviationCount == 1)
    }

    @Test func aDownServerKeepsFailingQuietly() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let record = Record()
        let periodic = try #require(start(prober, CheckTarget(host: "127.0.0.1", port: port), expectSuccess: false, record: record))
        defer { periodic.cancel() }
        try await waitUntil { record.observedCount >= 3 }
        #expect(record.observed.withLock { $0.allSatisfy { $0.failure == .connectionRefused } })
        #expect(record.deviationCount == 0)
    }

    @Test func cancelStopsTheRepetition() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let record = Record()
        let periodic = try #require(start(prober, server.target, expectSuccess: true, record: record))
        try await waitUntil { record.observedCount >= 2 }
        periodic.cancel()
        let seen = record.observedCount
        try await Task.sleep(for: .milliseconds(250))
        #expect(record.observedCount <= seen + 1, "at most the connect in flight when cancelled")
        #expect(record.deviationCount == 0)
    }

    /// A steady check connects again and again on one socket (disconnected with a reset in between, its pending
    /// ECONNRESET read away): every check still succeeds, against a server that accepts and closes at once.
    @Test func aSteadyCheckReusesOneSocket() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let (port, listener) = try closedPort()
        #expect(listen(listener, 128) == 0)
        let accepted = Atomic<Int>(0)
        let acceptor = Thread {
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                accepted.add(1, ordering: .relaxed)
                close(connection)
            }
        }
        acceptor.start()
        defer {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
        let record = Record()
        let periodic = try #require(start(prober, CheckTarget(host: "127.0.0.1", port: port), expectSuccess: true, record: record))
        try await waitUntil { record.observedCount >= 2 && periodic.spareSocket >= 0 }
        let kept = periodic.spareSocket
        #expect(kept >= 0)
        let seen = record.observedCount
        try await waitUntil { record.observedCount >= seen + 10 }
        #expect(record.observedCount >= seen + 10)
        #expect(record.observed.withLock { $0.allSatisfy { $0.failure == nil } })
        #expect(record.deviationCount == 0)
        #expect(periodic.spareSocket == kept, "the same socket connects every time")
        #expect(accepted.load(ordering: .relaxed) >= seen + 10, "each check is a new connection")
        // Cancelled, the repetition gives its socket back when its next start comes.
        periodic.cancel()
        try await waitUntil { periodic.spareSocket < 0 }
        #expect(periodic.spareSocket == -1)
    }

    @Test func hostNamesAreNotRepeatedHere() {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let periodic = start(prober, CheckTarget(host: "localhost", port: 9), expectSuccess: true, record: Record())
        #expect(periodic == nil, "a name needs NIO's resolver: the engine keeps scheduling single probes")
    }
}

/// The engine hands a TCP check to the prober's thread as soon as the same result again would change nothing:
/// right after the first success (whose "success." line the engine logs), or right after the transition to down.
@Suite("CheckEngine hands steady TCP checks over", .timeLimit(.minutes(1)))
struct EngineHandOverTests {
    @Test func handedOverAfterTheFirstResult() async throws {
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let (closed, descriptor) = try closedPort()
        defer { close(descriptor) }
        let engine = CheckEngine(prober: NIOCheckProber(), random: { 0 }, logger: quietLogger)
        // delay_loop 60 s: a check handed over only after a second run would take over a minute, so the
        // 30 s bound below (generous for a busy machine) tells the two apart.
        let timers = CheckTimers(delayLoop: .seconds(60), retry: 1)
        let up = CheckerConfig(id: CheckerID(virtualServer: "VS", realServer: "up"),
                               spec: CheckSpec(probe: .tcp(TCPCheck(target: server.target)), timers: timers))
        let down = CheckerConfig(id: CheckerID(virtualServer: "VS", realServer: "down"),
                                 spec: CheckSpec(probe: .tcp(TCPCheck(target: CheckTarget(host: "127.0.0.1", port: closed))),
                                                 timers: timers))
        await engine.apply([up, down])
        let deadline = ContinuousClock.now + .seconds(30)
        while await engine.handedOverCount() < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(await engine.handedOverCount() == 2)
        #expect(await engine.state(of: up.id) == .up)
        #expect(await engine.state(of: down.id) == .down)
        await engine.shutdown()
    }
}
