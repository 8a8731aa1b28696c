import Director
import IPVSKit
import Observability
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
@testable import LVSDaemon

@Suite struct DirectorServiceTests {
    @Test func reloadAppliesTheDifferenceAndARefusedOneChangesNothing() async throws {
        let rig = try DirectorRig(config(weights: [3]))
        #expect(rig.weights == ["10.10.0.2:80 w3"])
        try await rig.service.apply(try candidate(config(weights: [9])))
        #expect(rig.weights == ["10.10.0.2:80 w9"])
        // The kernel refuses the next change: nothing of it stays, and the service keeps the running setup.
        rig.kernel.refuse { if case .editDestination = $0 { return true } else { return false } }
        await #expect(throws: ReloadRefusal.self) { try await rig.service.apply(try candidate(config(weights: [4, 5]))) }
        #expect(rig.weights == ["10.10.0.2:80 w9"])
        let snapshot = await rig.service.snapshot()
        #expect(snapshot.specs.first?.realServers.count == 1)
    }

    @Test func checkFindsInvalidSpecsWithoutTheKernel() async throws {
        let rig = try DirectorRig(config(weights: [1]))
        rig.kernel.clearLog()
        var bad = try candidate(config(weights: [1]))
        bad.setup.virtualServers.append(bad.setup.virtualServers[0])  // the same virtual server twice
        let problems = await rig.service.check(bad)
        #expect(problems.count == 1 && problems[0].contains("defined twice"), "\(problems)")
        #expect(rig.kernel.operations.isEmpty)
    }

    @Test func nothingReachesTheKernelOnceStoppingBegan() async throws {
        let rig = try DirectorRig(config(weights: [1, 1]))
        let service = rig.service
        let logs = LogLines()
        await testGracefulShutdown { trigger in
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logs.logger))
            async let running: Void = { try? await group.run() }()
            #expect(await waitFor(.seconds(20)) { rig.heartbeat.age != nil }, "the director loop never beat")
            trigger.triggerGracefulShutdown()
            await running
        }
        // Shutdown removed lvsd's services, as keepalived does.
        #expect(rig.kernel.entries.isEmpty)
        rig.kernel.clearLog()
        // Later work changes nothing: a reload is refused, checker verdicts and ticks are dropped.
        await #expect(throws: ReloadRefusal.self) { try await service.apply(try candidate(config(weights: [7]))) }
        #expect(await service.check(try candidate(config(weights: [7]))) == ["lvsd is stopping"])
        await service.tick()
        await service.handlePending()
        #expect(rig.kernel.operations.isEmpty)
        #expect(await service.isStopping)
        #expect(rig.logs.all.contains("info: Stopping lvsd"), "\(rig.logs.all)")
    }

    @Test func theHeartbeatFollowsTheLoop() async throws {
        let rig = try DirectorRig(config(weights: [1]))
        #expect(rig.heartbeat.isAlive(within: .seconds(10)).alive == false)
        await rig.service.tick()
        #expect(rig.heartbeat.isAlive(within: .seconds(10)).alive)
        let stale = Heartbeat(clock: { 1 })
        stale.beat()
        let later = Heartbeat(clock: { 30_000_000_000 })
        #expect(later.isAlive(within: .seconds(10)).reason.contains("not started"))
        #expect(stale.isAlive(within: .seconds(10)).alive)
    }
}

/// Polls `condition` every 20 ms (suspending, never blocking a thread) for at most `limit`.
func waitFor(_ limit: Duration, _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}
