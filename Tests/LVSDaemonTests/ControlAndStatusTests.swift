import Director
import Foundation
import HealthCheck
import IPVSKit
import Observability
import Testing
@testable import LVSDaemon

@Suite struct ControlAndStatusTests {
    @Test func theControlSocketsReloadAnswerIsTheRealOutcome() async throws {
        let requests = ReloadRequests()
        let consumer = Task {
            var n = 0
            for await request in requests.stream {
                n += 1
                request.reply(n == 1 ? .applied(summary: "1 virtual servers") : .refused(reasons: ["k.conf:3: bad weight"]))
            }
        }
        defer { consumer.cancel() }
        let ok = await ControlService.answer(.reload, status: { _ in "" }, reloads: requests)
        #expect(ok.status == .ok && ok.body.contains("reloaded"))
        let refused = await ControlService.answer(.reload, status: { _ in "" }, reloads: requests)
        #expect(refused.status == .error)
        #expect(refused.body.contains("k.conf:3: bad weight"))
        #expect(refused.body.contains("unchanged"))
        let status = await ControlService.answer(.status(.json), status: { $0 == .json ? "{}" : "text" }, reloads: requests)
        #expect(status == .success("{}"))
    }

    @Test func theStatusReportMapsTheDirectorAndTheKernel() async throws {
        let rig = try DirectorRig(config(weights: [3, 2]))
        let snapshot = await rig.service.snapshot()
        let report = StatusMapping.report(snapshot, kernel: rig.kernel.entries, version: "v", pid: 42,
                                          startedAt: Date(timeIntervalSince1970: 0), configFile: "/k.conf")
        #expect(report.pid == 42 && report.configFile == "/k.conf")
        let vs = try #require(report.virtualServers.first)
        #expect(vs.service == "[10.10.0.1]:tcp:80" && vs.scheduler == "wrr" && vs.inKernel)
        #expect(vs.realServers.map(\.address) == ["10.10.0.2:80", "10.10.0.3:80"])
        #expect(vs.realServers.map(\.configuredWeight) == [3, 2])
        #expect(vs.realServers.map(\.kernelWeight) == [3, 2])
        #expect(vs.realServers.allSatisfy { $0.alive && !$0.inhibited })
        // Without a kernel read the report still has the director's view, and no kernel figures.
        let blind = StatusMapping.report(snapshot, kernel: nil, version: "v", pid: 42, startedAt: Date(), configFile: "/k.conf")
        #expect(blind.virtualServers.first?.inKernel == false)
        #expect(blind.virtualServers.first?.realServers.allSatisfy { $0.kernelWeight == nil } == true)
    }

    @Test func aKernelReadThatNeverAnswersDoesNotHoldTheReportUp() async throws {
        let stuck = StuckKernel()
        let reader = KernelReader(limit: .milliseconds(200), open: { stuck })
        let started = ContinuousClock.now
        #expect(await reader.table() == nil)
        #expect(ContinuousClock.now - started < .seconds(60))
        stuck.release()
        await reader.shutdown()
    }

    @Test func directorUpdatesReachTheMetrics() throws {
        let metrics = DirectorMetrics(LvsdMetrics(version: "v"))
        let vs = VirtualServerID.service(.address(.tcp, try #require(IPAddress("10.10.0.1")), port: 80))
        let rs = RealServerID(vs, try #require(IPAddress("10.10.0.2")), 80)
        var update = DirectorUpdate()
        update.actions = [DirectorAction.realServerChanged(rs, up: false), DirectorAction.quorumChanged(vs, up: false)]
        update.driftRepairs = 2
        metrics.record(update)
        let text = metrics.metrics.render()
        #expect(text.contains("lvsd_drift_repairs_total 2"), "\(text)")
        #expect(text.contains("lvsd_real_server_up{real_server=\"10.10.0.2:80\",virtual_server=\"[10.10.0.1]:tcp:80\"} 0")
                || text.contains("lvsd_real_server_up{virtual_server=\"[10.10.0.1]:tcp:80\",real_server=\"10.10.0.2:80\"} 0"), "\(text)")
        #expect(text.contains("lvsd_virtual_server_quorum_up{virtual_server=\"[10.10.0.1]:tcp:80\"} 0"), "\(text)")
    }
}

/// A kernel whose table read does not return until the test releases it (or 120 s pass).
final class StuckKernel: IPVSTableAccess {
    private let gate = DispatchSemaphore(value: 0)
    func release() { gate.signal() }
    func table() throws(IPVSError) -> [ServiceEntry] {
        _ = gate.wait(timeout: .now() + 120)
        return []
    }
    func perform(_ operations: [IPVSOperation]) -> [Result<Void, IPVSError>] { [] }
    func run(_ plan: TablePlan, current: [ServiceEntry]) -> PlanOutcome { PlanOutcome() }
}
