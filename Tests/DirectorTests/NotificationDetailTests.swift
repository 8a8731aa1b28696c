import Director
import IPVSKit
import Testing

/// What the director reports for notifications that need more than the state change (keepalived's SMTP alerts):
/// each checker result's before and after, the quorum's numbers, real servers taken out by a reload or at stop.
@Suite("Director: notification details")
struct NotificationDetailTests {
    let clock = FakeClock()

    @Test func checkerReportsSayWhatEachResultChanged() throws {
        let d = Director(kernel: FakeKernel())
        let two = [CheckerSpec(id: "a"), CheckerSpec(id: "b")]
        _ = try d.start([vs([rs(2, checkers: two), rs(3)])])
        let first = d.handle([down(2, "a"), down(2, "a"), down(2, "b"), CheckerEvent(realServer: rsID(7), checker: "a", up: false)])
        // The unknown real server is left out; the repeated result changes nothing.
        #expect(first.checkerReports == [
            CheckerReport(event: down(2, "a"), checkerWasUp: true, checkerIsUp: false, realServerWasAlive: true, realServerIsAlive: false),
            CheckerReport(event: down(2, "a"), checkerWasUp: false, checkerIsUp: false, realServerWasAlive: false, realServerIsAlive: false),
            CheckerReport(event: down(2, "b"), checkerWasUp: true, checkerIsUp: false, realServerWasAlive: false, realServerIsAlive: false),
        ])
        #expect(first.checkerReports.map(\.checkerChanged) == [true, false, true])
        let back = d.handle([up(2, "a"), up(2, "b")])
        #expect(back.checkerReports.map(\.realServerIsAlive) == [false, true])
        #expect(d.engine.realServerAlive(rsID(2)) == true && d.engine.realServerAlive(rsID(9)) == nil)
    }

    @Test func quorumReportsCarryKeepalivedsNumbers() throws {
        var e = DirectorEngine()
        let spec = vs([rs(2, weight: 2), rs(3, weight: 2)], quorum: 2, hysteresis: 1, omega: true)
        let start = try e.load([spec], now: clock.now)
        #expect(start.contains(.quorumReport(QuorumReport(virtualServer: webID, up: true, cause: .start, quorum: 2,
                                                          hysteresis: 1, threshold: 3, weightSum: 4))))
        _ = e.handle(down(2))
        let lost = e.handle(down(3))
        let report = QuorumReport(virtualServer: webID, up: false, cause: .change, quorum: 2, hysteresis: 1,
                                  threshold: 1, weightSum: 0)
        // Right after the state change it details.
        let at = try #require(lost.firstIndex(of: .quorumChanged(webID, up: false)))
        #expect(lost[at + 1] == .quorumReport(report))
        _ = e.handle(up(2))
        let stop = e.shutdown()
        #expect(stop.contains(.realServerCleared(rsID(2), stopping: true)))
        #expect(!stop.contains(.realServerCleared(rsID(3), stopping: true)), "10.0.0.3 was not alive")
        #expect(stop.contains { if case .quorumReport(let r) = $0 { r.cause == .stopping } else { false } })
    }

    @Test func aReloadClearsRemovedAliveServers() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        let reloaded = try e.load([vs([rs(3)])], now: clock.now)
        #expect(reloaded.contains(.realServerCleared(rsID(2), stopping: false)))
        // Without omega, stopping clears without notifications.
        #expect(!e.shutdown().contains { if case .realServerCleared = $0 { true } else { false } })
    }
}
