import IPVSKit
import Testing
@testable import Director

/// The announce decision on a fake clock: quorum, rise/fall, drain, and the per-address rule.
@Suite struct AnnounceDecisionTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int(seconds * 1000)) }

    @Test func withoutDelaysFollowsQuorumAtOnce() {
        var d = AnnounceDecision()
        #expect(!d.announce)
        do { let r = d.update(healthy: true, drained: false, now: at(0)); #expect(r) }
        do { let r = d.update(healthy: false, drained: false, now: at(0.1)); #expect(!r) }
        do { let r = d.update(healthy: true, drained: false, now: at(0.2)); #expect(r) }
        #expect(d.nextDeadline == nil)
    }

    @Test func riseWaitsForSustainedHealth() {
        var d = AnnounceDecision(rise: .seconds(3), fall: .seconds(2))
        do { let r = d.update(healthy: true, drained: false, now: at(0)); #expect(!r) }
        #expect(d.nextDeadline == at(3))
        do { let r = d.update(healthy: true, drained: false, now: at(2.9)); #expect(!r) }
        do { let r = d.update(healthy: true, drained: false, now: at(3)); #expect(r) }
        #expect(d.nextDeadline == nil)
    }

    @Test func flapBeforeRiseRestartsTheCount() {
        var d = AnnounceDecision(rise: .seconds(3))
        d.update(healthy: true, drained: false, now: at(0))
        d.update(healthy: false, drained: false, now: at(2))   // flap: the pending rise is cancelled
        #expect(d.pendingSince == nil)
        do { let r = d.update(healthy: true, drained: false, now: at(2.5)); #expect(!r) }
        do { let r = d.update(healthy: true, drained: false, now: at(5)); #expect(!r) }
        do { let r = d.update(healthy: true, drained: false, now: at(5.5)); #expect(r) }
    }

    @Test func fallKeepsAnnouncingThroughShortLoss() {
        var d = AnnounceDecision(fall: .seconds(2))
        do { let r = d.update(healthy: true, drained: false, now: at(0)); #expect(r) }
        do { let r = d.update(healthy: false, drained: false, now: at(1)); #expect(r) }
        #expect(d.nextDeadline == at(3))
        do { let r = d.update(healthy: true, drained: false, now: at(2)); #expect(r) }    // back in time: stays announced
        do { let r = d.update(healthy: false, drained: false, now: at(4)); #expect(r) }
        do { let r = d.update(healthy: false, drained: false, now: at(5.9)); #expect(r) }
        do { let r = d.update(healthy: false, drained: false, now: at(6)); #expect(!r) }
    }

    @Test func drainWithdrawsAtOnceAndUndrainRestores() {
        var d = AnnounceDecision(rise: .seconds(3), fall: .seconds(3))
        d.update(healthy: true, drained: false, now: at(0))
        do { let r = d.update(healthy: true, drained: false, now: at(3)); #expect(r) }
        do { let r = d.update(healthy: true, drained: true, now: at(4)); #expect(!r) }     // no fall delay for a drain
        do { let r = d.update(healthy: true, drained: true, now: at(10)); #expect(!r) }
        do { let r = d.update(healthy: true, drained: false, now: at(11)); #expect(r) }    // healthy all along: at once
        // Undrained while unhealthy: nothing until the rise is done.
        d.update(healthy: true, drained: true, now: at(12))
        d.update(healthy: false, drained: true, now: at(13))
        d.update(healthy: false, drained: true, now: at(16))
        #expect(!d.stableHealthy)
        do { let r = d.update(healthy: true, drained: false, now: at(17)); #expect(!r) }
        do { let r = d.update(healthy: true, drained: false, now: at(20)); #expect(r) }
    }

    // MARK: - Planner

    static let a1 = IPAddress("10.0.0.1")!, a2 = IPAddress("10.0.0.2")!, a6 = IPAddress("2001:db8::1")!
    static let web: VirtualServerID = .service(.address(.tcp, a1, port: 80))
    static let tls: VirtualServerID = .service(.address(.tcp, a1, port: 443))
    static let grp: VirtualServerID = .group("G")

    @Test func addressAnnouncedWhenEveryServiceOnItIsHealthy() {
        var p = AnnouncePlanner([
            AnnouncementSpec(virtualServer: Self.web, addresses: [Self.a1]),
            AnnouncementSpec(virtualServer: Self.tls, addresses: [Self.a1]),
            AnnouncementSpec(virtualServer: Self.grp, addresses: [Self.a2, Self.a6], rise: .seconds(1)),
        ])
        #expect(p.allAddresses == [Self.a1, Self.a2, Self.a6])
        p.update(quorum: [Self.web: true, Self.tls: true, Self.grp: true], now: at(0))
        #expect(p.announced == [Self.a1])
        #expect(p.nextDeadline == at(1))
        p.update(quorum: [Self.web: true, Self.tls: false, Self.grp: true], now: at(1))
        #expect(p.announced == [Self.a2, Self.a6])
        p.update(quorum: [Self.web: true, Self.grp: true], now: at(2))      // missing: down
        #expect(p.announced == [Self.a2, Self.a6])
        p.drained = true
        p.update(quorum: [Self.web: true, Self.tls: true, Self.grp: true], now: at(3))
        #expect(p.announced.isEmpty)
        p.drained = false
        p.update(quorum: [Self.web: true, Self.tls: true, Self.grp: true], now: at(4))
        #expect(p.announced == [Self.a1, Self.a2, Self.a6])
    }

    @Test func reloadKeepsStateOfKeptVirtualServers() {
        var p = AnnouncePlanner([AnnouncementSpec(virtualServer: Self.web, addresses: [Self.a1], rise: .seconds(5))])
        p.update(quorum: [Self.web: true], now: at(0))
        p.update(quorum: [Self.web: true], now: at(5))
        #expect(p.announced == [Self.a1])
        p.replace([AnnouncementSpec(virtualServer: Self.web, addresses: [Self.a1], fall: .seconds(9)),
                   AnnouncementSpec(virtualServer: Self.grp, addresses: [Self.a2])])
        #expect(p.announced == [Self.a1])
        #expect(p.decisions[Self.web]?.fall == .seconds(9))
        p.update(quorum: [Self.web: true, Self.grp: true], now: at(6))
        #expect(p.announced == [Self.a1, Self.a2])
        p.replace([])
        #expect(p.announced.isEmpty && p.allAddresses.isEmpty)
    }

    @Test func fwmarkServicesHaveNoAddress() {
        #expect(AnnouncementSpec.addresses(of: [.firewallMark(5, family: .inet),
                                                .address(.tcp, Self.a1, port: 80), .address(.udp, Self.a1, port: 53),
                                                .address(.tcp, Self.a2, port: 80)]) == [Self.a1, Self.a2])
    }
}
