import KeepalivedConfig
import Synchronization
import Testing
@testable import LVSDaemon

/// A participant that records what it was asked and refuses on demand.
final class FakeParticipant: ConfigurationParticipant {
    let participantName: String
    private let state = Mutex<(checked: Int, applied: [Int], refusals: [[String]])>((0, [], []))
    private let checkProblems: [String]
    private let refuseApply: Bool

    init(_ name: String, checkProblems: [String] = [], refuseApply: Bool = false) {
        participantName = name
        self.checkProblems = checkProblems
        self.refuseApply = refuseApply
    }

    /// How many virtual servers each applied candidate had, in order.
    var applied: [Int] { state.withLock { $0.applied } }
    var checked: Int { state.withLock { $0.checked } }
    var refusals: [[String]] { state.withLock { $0.refusals } }

    func check(_ candidate: ConfigurationCandidate) async -> [String] {
        state.withLock { $0.checked += 1 }
        return checkProblems
    }

    func apply(_ candidate: ConfigurationCandidate) async throws(ReloadRefusal) {
        if refuseApply { throw ReloadRefusal(["the kernel said no"]) }
        state.withLock { $0.applied.append(candidate.setup.virtualServers.count) }
    }

    func reloadRefused(_ reasons: [String]) async {
        state.withLock { $0.refusals.append(reasons) }
    }
}

@Suite struct ReloadTransactionTests {
    let one = config(weights: [1])
    let two = config(weights: [1]) + config(weights: [2]).replacingOccurrences(of: "10.10.0.1 80", with: "10.10.0.1 81")

    func service(_ participants: [any ConfigurationParticipant], file text: @escaping @Sendable () -> String,
                 logs: LogLines = LogLines()) throws -> ConfigurationService {
        ConfigurationService(current: try candidate(one), participants: participants, requests: ReloadRequests(),
                             logger: logs.logger, read: { path in KeepalivedConfigParser.parse(text: text(), file: path) })
    }

    @Test func aGoodConfigurationIsAppliedEverywhereInOrder() async throws {
        let a = FakeParticipant("a"), b = FakeParticipant("b")
        let two = self.two
        let s = try service([a, b], file: { two })
        let outcome = await s.reload(from: "test")
        #expect(outcome.isApplied, "\(outcome)")
        #expect(a.applied == [2] && b.applied == [2])
        #expect(await s.running.setup.virtualServers.count == 2)
    }

    @Test func aConfigurationWithErrorsIsRefusedWithFileAndLineAndNothingIsAsked() async throws {
        let a = FakeParticipant("a")
        let logs = LogLines()
        let s = try service([a], file: { "virtual_server 10.10.0.1 80 {\n    delay_loop banana\n}\n" }, logs: logs)
        let outcome = await s.reload(from: "SIGHUP")
        guard case .refused(let reasons) = outcome else { Issue.record("applied: \(outcome)"); return }
        #expect(reasons.contains { $0.contains("/etc/keepalived/keepalived.conf:2") }, "\(reasons)")
        #expect(a.checked == 0 && a.applied.isEmpty)
        #expect(a.refusals.count == 1)
        #expect(outcome.text.hasPrefix("reload refused"))
        #expect(logs.all.contains { $0.contains("Reload refused") && $0.contains("keepalived.conf:2") }, "\(logs.all)")
        #expect(await s.running.setup.virtualServers.count == 1)
    }

    @Test func oneParticipantsObjectionRefusesItForAll() async throws {
        let a = FakeParticipant("a"), b = FakeParticipant("b", checkProblems: ["VIP list too long"])
        let two = self.two
        let s = try service([a, b], file: { two })
        let outcome = await s.reload(from: "test")
        #expect(outcome == .refused(reasons: ["b: VIP list too long"]))
        #expect(a.checked == 1 && a.applied.isEmpty && b.applied.isEmpty)
    }

    @Test func aRefusalAtApplyGivesTheEarlierParticipantsTheRunningConfigurationBack() async throws {
        let a = FakeParticipant("a"), b = FakeParticipant("b", refuseApply: true)
        let two = self.two
        let s = try service([a, b], file: { two })
        let outcome = await s.reload(from: "test")
        #expect(outcome == .refused(reasons: ["b: the kernel said no"]))
        // a took the new one (2 virtual servers), then the running one (1) back.
        #expect(a.applied == [2, 1])
        #expect(await s.running.setup.virtualServers.count == 1)
    }

    @Test func aMissingFileIsRefusedNamingIt() async throws {
        let a = FakeParticipant("a")
        let s = ConfigurationService(current: try candidate(one, file: "/nonexistent/lvsd-test.conf"), participants: [a],
                                     requests: ReloadRequests(), logger: LogLines().logger)
        let outcome = await s.reload(from: "test")
        guard case .refused(let reasons) = outcome else { Issue.record("applied: \(outcome)"); return }
        #expect(reasons.joined().contains("/nonexistent/lvsd-test.conf"), "\(reasons)")
    }

    @Test func requestsAfterTheIntakeClosedAreAnsweredStopping() async throws {
        let requests = ReloadRequests()
        requests.close()
        #expect(await requests.reload(from: "control socket") == ReloadRequests.stopping)
    }
}
