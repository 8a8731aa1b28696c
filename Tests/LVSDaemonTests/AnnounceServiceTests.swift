import Director
import IPVSKit
import KeepalivedConfig
import Observability
import Synchronization
import Testing
@testable import LVSDaemon

/// An announce interface in memory.
final class FakeAnnounceNetwork: AnnounceNetwork {
    struct State {
        var exists = false
        var addresses: Set<IPAddress> = []
        var local: Set<IPAddress> = []
        var syncs = 0
        var failing = false
    }
    let state = Mutex(State())

    func sync(interface: String, wanted: Set<IPAddress>, local: [IPAddress]) async throws(AnnounceError) -> AnnounceSync {
        try state.withLock { s throws(AnnounceError) -> AnnounceSync in
            s.syncs += 1
            if s.failing { throw AnnounceError("no dummy support") }
            s.local.formUnion(local)
            var r = AnnounceSync()
            if !s.exists {
                if wanted.isEmpty { return r }
                s.exists = true
                r.createdInterface = true
            }
            r.removed = s.addresses.subtracting(wanted).sorted()
            r.added = wanted.subtracting(s.addresses).sorted()
            s.addresses = wanted
            return r
        }
    }
    var addresses: Set<IPAddress> { state.withLock { $0.addresses } }
}

/// The quorum the service reads, set by the test.
final class QuorumBox: Sendable {
    let value = Mutex<[VirtualServerID: Bool]>([:])
    func set(_ v: [VirtualServerID: Bool]) { value.withLock { $0 = v } }
}

@Suite struct AnnounceServiceTests {
    static let text = """
        global_defs {
            lvsd_announce_interface lvs9
        }
        virtual_server 10.10.0.1 80 {
            lvs_sched mh
            mh-port
            lvs_method DR
            protocol TCP
            announce
            real_server 10.10.0.2 80 {
            }
        }
        virtual_server 10.10.0.5 80 {
            lvs_sched mh
            mh-port
            lvs_method DR
            protocol TCP
            real_server 10.10.0.2 80 {
            }
        }

        """
    static let vip = IPAddress("10.10.0.1")!
    static let vs: VirtualServerID = .service(.address(.tcp, vip, port: 80))

    func make(_ network: FakeAnnounceNetwork, _ quorum: QuorumBox, logs: LogLines = LogLines()) throws -> AnnounceService {
        let c = try candidate(Self.text)
        return AnnounceService(setup: c.setup, interface: c.configuration.globalDefinitions.announceInterface,
                               network: network, quorum: { quorum.value.withLock { $0 } }, logger: logs.logger)
    }

    @Test func announcesWhileQuorumUpAndDrainWithdraws() async throws {
        let network = FakeAnnounceNetwork(), quorum = QuorumBox(), logs = LogLines()
        let service = try make(network, quorum, logs: logs)
        await service.step(force: true)
        #expect(network.addresses.isEmpty)
        #expect(network.state.withLock { !$0.exists })          // nothing to announce: no interface made
        #expect(network.state.withLock { $0.local } == [Self.vip])   // the VIP is kept on lo
        quorum.set([Self.vs: true])
        await service.step(force: false)
        #expect(network.addresses == [Self.vip])
        #expect(logs.all.contains { $0.contains("10.10.0.1 announced on lvs9") })
        #expect(await service.setDrained(true).isEmpty)
        #expect(network.addresses.isEmpty)
        let report = await service.report()
        #expect(report.drained && report.addresses.map(\.announced) == [false])
        #expect(await service.setDrained(false) == [Self.vip])
        #expect(network.addresses == [Self.vip])
        quorum.set([Self.vs: false])
        await service.step(force: false)
        #expect(network.addresses.isEmpty)
    }

    /// With nothing to announce the running service reads no quorum (it used to poll four times a second); a
    /// reload that adds an `announce` virtual server wakes it, and it follows that quorum from then on.
    @Test func idleWithoutAnnouncementsUntilAReloadAddsOne() async throws {
        let network = FakeAnnounceNetwork(), quorum = QuorumBox()
        let reads = Atomic<Int>(0)
        let plain = try candidate(Self.text.replacingOccurrences(of: " announce\n", with: "\n"))
        let service = AnnounceService(setup: plain.setup, interface: "lvs9", network: network,
                                      quorum: { reads.add(1, ordering: .relaxed); return quorum.value.withLock { $0 } },
                                      logger: LogLines().logger, pollInterval: .milliseconds(20))
        let running = Task { await service.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(reads.load(ordering: .relaxed) == 0, "no quorum read with nothing to announce")

        quorum.set([Self.vs: true])
        try await service.apply(candidate(Self.text))
        var waited = Duration.zero
        while network.addresses != [Self.vip] && waited < .seconds(20) {
            try await Task.sleep(for: .milliseconds(20))
            waited += .milliseconds(20)
        }
        #expect(network.addresses == [Self.vip])
        quorum.set([Self.vs: false])  // only the loop's polling can see this
        waited = .zero
        while !network.addresses.isEmpty && waited < .seconds(20) {
            try await Task.sleep(for: .milliseconds(20))
            waited += .milliseconds(20)
        }
        #expect(network.addresses.isEmpty, "the quorum is followed after the reload")
        #expect(reads.load(ordering: .relaxed) > 1)
    }

    @Test func drainRepliesWithConnectionsLeft() async throws {
        let network = FakeAnnounceNetwork(), quorum = QuorumBox()
        quorum.set([Self.vs: true])
        let service = try make(network, quorum)
        await service.step(force: true)
        let drain = DirectorDrain(announce: service) { addresses in addresses == [Self.vip] ? 7 : nil }
        let reply = await ControlService.answer(.drain, status: { _ in "" }, reloads: ReloadRequests(), drain: drain)
        #expect(reply.isSuccess && reply.body.contains("connections 7"), "\(reply.body)")
        #expect(network.addresses.isEmpty)
        let status = await ControlService.answer(.drainStatus, status: { _ in "" }, reloads: ReloadRequests(), drain: drain)
        #expect(status.body == "connections 7\n")
        let undrain = await ControlService.answer(.undrain, status: { _ in "" }, reloads: ReloadRequests(), drain: drain)
        #expect(undrain.body.contains("10.10.0.1"))
        #expect(network.addresses == [Self.vip])
        let none = await ControlService.answer(.drain, status: { _ in "" }, reloads: ReloadRequests())
        #expect(!none.isSuccess)
    }

    @Test func failureIsReportedAndRetried() async throws {
        let network = FakeAnnounceNetwork(), quorum = QuorumBox()
        quorum.set([Self.vs: true])
        network.state.withLock { $0.failing = true }
        let service = try make(network, quorum)
        await service.step(force: true)
        #expect(await service.report().error == "no dummy support")
        network.state.withLock { $0.failing = false }
        await service.step(force: true)
        #expect(await service.report().error == nil)
        #expect(network.addresses == [Self.vip])
    }

    @Test func connectionCountCoversOnlyTheVIPs() {
        var other = Service(key: .address(.tcp, IPAddress("10.0.0.9")!, port: 80))
        other.scheduler = "rr"
        let mine = Service(key: .address(.tcp, Self.vip, port: 80), scheduler: "mh")
        let table = [
            ServiceEntry(service: mine, destinations: [
                Destination(address: IPAddress("10.10.0.2")!, port: 80, activeConnections: 3, inactiveConnections: 4),
                Destination(address: IPAddress("10.10.0.3")!, port: 80, activeConnections: 1)]),
            ServiceEntry(service: other, destinations: [Destination(address: IPAddress("10.10.0.2")!, port: 80, activeConnections: 50)]),
        ]
        #expect(DirectorDrain.count(table, addresses: [Self.vip]) == 8)
    }

    @Test func controlLines() throws {
        #expect(try ControlRequest(line: "drain") == .drain)
        #expect(try ControlRequest(line: "drain status") == .drainStatus)
        #expect(try ControlRequest(line: "undrain") == .undrain)
        #expect(throws: ControlRequestError.self) { try ControlRequest(line: "drain now") }
        #expect(DrainCommand.connections("drained: ...\nconnections 12\n") == 12)
    }
}
