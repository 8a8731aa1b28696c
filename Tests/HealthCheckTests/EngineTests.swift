import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import HealthCheck

/// A prober whose answers the test controls; counts calls per probe.
final class ScriptedProber: CheckProber {
    /// The answering closure, wrapped: a bare function type in the Mutex is reabstracted on every `withLock`
    /// and written back one thunk deeper, so after some thousands of probes calling it overflowed the event
    /// loop thread's stack (seen with 10,000 checkers whose first probes ran on a busy machine).
    struct Answer: Sendable {
        var call: @Sendable (CheckProbe, Int) -> ProbeResult
    }

    let calls = Mutex<[CheckProbe: Int]>([:])
    let answer: Mutex<Answer>

    init(_ answer: @escaping @Sendable (CheckProbe, Int) -> ProbeResult) {
        self.answer = Mutex(Answer(call: answer))
    }

    func probe(_ probe: CheckProbe, urlIndex: Int, defaultTimeout: Duration, on eventLoop: any EventLoop)
        -> EventLoopFuture<ProbeResult>
    {
        calls.withLock { $0[probe, default: 0] += 1 }
        let result = answer.withLock { $0 }.call(probe, urlIndex)
        return eventLoop.makeSucceededFuture(result)
    }

    func count(_ probe: CheckProbe) -> Int { calls.withLock { $0[probe] ?? 0 } }
    func set(_ answer: @escaping @Sendable (CheckProbe, Int) -> ProbeResult) {
        self.answer.withLock { $0 = Answer(call: answer) }
    }
}

func fastTimers(alpha: Bool = false, retry: Int = 1) -> CheckTimers {
    CheckTimers(
        delayLoop: .milliseconds(50),
        delayBeforeRetry: .milliseconds(20),
        retry: retry,
        warmup: .zero,
        alpha: alpha
    )
}

func tcpConfig(_ rs: String, port: Int, vs: String = "[10.0.0.1]:tcp:80", timers: CheckTimers = fastTimers())
    -> CheckerConfig
{
    CheckerConfig(
        id: CheckerID(virtualServer: vs, realServer: rs),
        spec: CheckSpec(
            probe: .tcp(
                TCPCheck(target: CheckTarget(host: "127.0.0.1", port: port), connectTimeout: .milliseconds(500))
            ),
            timers: timers
        )
    )
}

/// Collects transitions from an engine in the background.
final class TransitionCollector: Sendable {
    final class Storage: Sendable {
        let received = Mutex<[CheckTransition]>([])
    }
    let storage = Storage()
    let task: Task<Void, Never>

    init(_ engine: CheckEngine) {
        let storage = self.storage
        task = Task { for await change in engine.transitions { storage.received.withLock { $0.append(change) } } }
    }

    var all: [CheckTransition] { storage.received.withLock { $0 } }

    /// Waits (bounded, generously for a busy machine) until `predicate` holds.
    func wait(timeout: Duration = .seconds(30), until predicate: ([CheckTransition]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(all) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return predicate(all)
    }
}

@Suite("CheckEngine scheduling, dedup and reload", .timeLimit(.minutes(1)))
struct EngineTests {
    @Test func identicalChecksShareOneProbe() async throws {
        let prober = ScriptedProber { _, _ in .failed(.connectionRefused) }
        let engine = CheckEngine(prober: prober, random: { 0 }, logger: quietLogger)
        let collector = TransitionCollector(engine)
        let first = tcpConfig("[127.0.0.1]:tcp:1", port: 1, vs: "[10.0.0.1]:tcp:80")
        var second = first
        second.id = CheckerID(virtualServer: "[10.0.0.9]:tcp:80", realServer: "[127.0.0.1]:tcp:1")
        let applied = ContinuousClock.now
        await engine.apply([first, second])
        #expect(await collector.wait { $0.count >= 2 })
        let changes = collector.all
        #expect(Set(changes.map(\.checker)) == [first.id, second.id])
        #expect(changes.allSatisfy { $0.state == .down && $0.previousState == .up && $0.failure == .connectionRefused })
        #expect(changes.first?.messages == ["TCP_CHECK on service [127.0.0.1]:tcp:1 failed."])
        let status = await engine.status()
        #expect(status.count == 2 && status.allSatisfy { $0.sharedBy == 2 && $0.state == .down })
        #expect(status.first?.description.hasPrefix("[127.0.0.1]:tcp:1 of [10.0.0.1]:tcp:80 #0: TCP_CHECK down") == true)
        #expect(status.first?.description.hasSuffix("last failure: connection refused, shared by 2") == true)
        try await Task.sleep(for: .milliseconds(200))
        let probes = prober.count(first.spec.probe)
        // One probe per 50 ms cycle after the first at 1 s, not two; a busy machine only runs fewer.
        let cycles = Int(max(0, (ContinuousClock.now - applied - .seconds(1)) / .milliseconds(50)))
        #expect(probes >= 2 && probes <= cycles + 3, "\(probes) probes in \(cycles) cycles")
        await engine.shutdown()
        await collector.task.value
    }

    @Test func firstProbeWaitsOneSecondPlusWarmup() async throws {
        let prober = TimedProber(origin: NIODeadline.now(), answers: [])
        let engine = CheckEngine(prober: prober, random: { 0.5 }, logger: quietLogger)
        let config = tcpConfig(
            "[127.0.0.1]:tcp:2",
            port: 2,
            timers: CheckTimers(delayLoop: .seconds(30), warmup: .milliseconds(400))
        )
        await engine.add(config)
        let deadline = ContinuousClock.now + .seconds(30)
        while prober.times.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        // 1 s + 0.5 × 400 ms = 1.2 s on the real clock (a loaded machine may only make it later).
        let first = try #require(prober.times.first)
        #expect(first >= .milliseconds(1200) && first < .seconds(30))
        await engine.shutdown()
    }

    @Test func reloadKeepsUnchangedStateAndRestartsChanged() async throws {
        let prober = ScriptedProber { _, _ in .failed(.connectTimeout) }
        let engine = CheckEngine(prober: prober, random: { 0 }, logger: quietLogger)
        let collector = TransitionCollector(engine)
        let a = tcpConfig("[127.0.0.1]:tcp:3", port: 3)
        // b (port 4) always succeeds: however late a busy machine asks, its state shows how it started (a new
        // checker's first failure would take it down at once, keepalived's start-up rule).
        let b = tcpConfig("[127.0.0.1]:tcp:4", port: 4)
        @Sendable func answer(_ probe: CheckProbe, _: Int) -> ProbeResult {
            if case .tcp(let t) = probe, t.target.port == 4 { return .success() }
            return .failed(.connectTimeout)
        }
        #expect(await engine.add(a) == .up)
        #expect(await collector.wait { $0.contains { $0.checker == a.id && $0.state == .down } })

        prober.set { _, _ in .success() }
        var changedB = b
        changedB.spec.timers.delayLoop = .seconds(30)
        // a unchanged, b new: a keeps its down state until its next probe; b starts optimistic.
        prober.set(answer)
        let summary = await engine.apply([a, b])
        #expect(summary.kept == [a.id] && summary.added == [b.id] && summary.removed.isEmpty)
        #expect(await engine.state(of: a.id) == .down)
        #expect(await engine.state(of: b.id) == .up)

        let second = await engine.apply([a, changedB])
        #expect(second.changed == [b.id] && second.kept == [a.id])
        let third = await engine.apply([changedB])
        #expect(third.removed == [a.id] && third.kept == [b.id])
        #expect(await engine.state(of: a.id) == nil)
        let probesOfA = prober.count(a.spec.probe)
        try await Task.sleep(for: .milliseconds(200))
        #expect(prober.count(a.spec.probe) == probesOfA)  // a's probe stopped
        await engine.shutdown()
    }

    @Test func removeOneSubscriberKeepsTheSharedProbe() async throws {
        let prober = ScriptedProber { _, _ in .success() }
        let engine = CheckEngine(prober: prober, random: { 0 }, logger: quietLogger)
        let a = tcpConfig("[127.0.0.1]:tcp:5", port: 5, vs: "VS1")
        var b = a
        b.id.virtualServer = "VS2"
        await engine.apply([a, b])
        await engine.remove(a.id)
        #expect(await engine.status().map(\.checker) == [b.id])
        // The first probe is due at 1 s; wait for it (bounded) rather than for a fixed time.
        let deadline = ContinuousClock.now + .seconds(30)
        while prober.count(a.spec.probe) < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(prober.count(a.spec.probe) >= 1)
        await engine.shutdown()
    }

    @Test func recoveryAndDynamicWeightsAreDelivered() async throws {
        let code = Mutex<Int32>(1)
        let prober = ScriptedProber { _, _ in .exited(code.withLock { $0 }, dynamic: true) }
        let engine = CheckEngine(prober: prober, random: { 0 }, logger: quietLogger)
        let collector = TransitionCollector(engine)
        let id = CheckerID(virtualServer: "VS", realServer: "[127.0.0.1]:tcp:6")
        let spec = CheckSpec(probe: .misc(MiscCheck(path: "/bin/true", dynamic: true)), timers: fastTimers(retry: 0))
        await engine.add(CheckerConfig(id: id, spec: spec))
        #expect(await collector.wait { $0.contains { $0.state == .down } })
        code.withLock { $0 = 9 }
        #expect(await collector.wait { $0.contains { $0.state == .up && $0.previousState == .down } })
        let up = try #require(collector.all.last)
        #expect(up.weight == 7)
        code.withLock { $0 = 4 }
        #expect(await collector.wait { $0.last?.weight == 2 && $0.last?.isWeightChangeOnly == true })
        await engine.shutdown()
    }
}

@Suite("CheckEngine against real loopback servers", .serialized, .timeLimit(.minutes(1)))
struct EngineIntegrationTests {
    @Test func realTCPChecksDetectDownAndRecovery() async throws {
        let server = try await TestServer.start(.silent)
        let (closed, descriptor) = try closedPort()
        defer { close(descriptor) }
        let engine = CheckEngine(random: { 0 }, logger: quietLogger)
        let collector = TransitionCollector(engine)
        let good = tcpConfig("[127.0.0.1]:tcp:\(server.port)", port: server.port)
        let bad = tcpConfig("[127.0.0.1]:tcp:\(closed)", port: closed)
        await engine.apply([good, bad])
        #expect(await collector.wait { $0.contains { $0.checker == bad.id && $0.state == .down } })
        let down = try #require(collector.all.first { $0.checker == bad.id })
        #expect(down.failure == .connectionRefused)
        #expect(down.latency < .seconds(10))
        try await Task.sleep(for: .milliseconds(200))
        #expect(!collector.all.contains { $0.checker == good.id })  // optimistic start, still up
        #expect(await engine.state(of: good.id) == .up)

        // The good server goes away: down after retry + 1 = 2 consecutive failures.
        await server.stop()
        #expect(await collector.wait { $0.contains { $0.checker == good.id && $0.state == .down } })
        let goneDown = try #require(collector.all.first { $0.checker == good.id })
        #expect(goneDown.messages == ["TCP_CHECK on service [127.0.0.1]:tcp:\(server.port) failed after 1 retries."])
        await engine.shutdown()
    }

    @Test func httpCheckerWalksURLsAgainstARealServer() async throws {
        let body = "ok"
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\n" + body))
        defer { Task { await server.stop() } }
        let engine = CheckEngine(random: { 0 }, logger: quietLogger)
        let collector = TransitionCollector(engine)
        let id = CheckerID(virtualServer: "VS", realServer: "[127.0.0.1]:tcp:\(server.port)")
        let urls = [try HTTPURL(path: "/a", digest: md5Hex(body)), try HTTPURL(path: "/b", digest: md5Hex("other"))]
        let spec = CheckSpec(
            probe: .http(HTTPCheck(target: server.target, urls: urls, connectTimeout: .milliseconds(500))),
            timers: fastTimers()
        )
        await engine.add(CheckerConfig(id: id, spec: spec))
        #expect(await collector.wait { $0.contains { $0.state == .down } })
        let down = try #require(collector.all.first)
        #expect(down.failure == .digestMismatch(expected: md5Hex("other"), actual: md5Hex(body)))
        #expect(down.messages == ["HTTP_CHECK on service \(id.realServer) failed after 1 retries."])
        let paths = server.requests.withLock { $0 }.map { $0.split(separator: " ")[1] }
        #expect(paths.prefix(2) == ["/a", "/b"])
        await engine.shutdown()
    }
}
