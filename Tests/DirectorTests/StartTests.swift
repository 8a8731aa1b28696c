import Director
import IPVSKit
import Testing

@Suite("Director: start-up")
struct StartTests {
    let clock = FakeClock()

    @Test func nonAlphaStartAddsEveryServerBeforeAnyCheck() throws {
        var e = DirectorEngine()
        let r = try e.load([vs([rs(2, weight: 3), rs(3)])], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 3, "10.0.0.3": 1])
        // keepalived starts with quorum down (no server alive yet) and gains it once they are added.
        #expect(logs(r) == ["Gained quorum 1+0=1 <= 4 for VS [10.0.0.1]:tcp:80"])
        #expect(e.checkerState(rsID(2), "tcp") == CheckerState(up: true, hasRun: false, alpha: false))
        #expect(e.desiredTable().first?.service.scheduler == "wlc")
    }

    @Test func alphaStartAddsServersOnlyAfterAllCheckersPass() throws {
        var e = DirectorEngine()
        let two: [CheckerSpec] = [CheckerSpec(id: "a"), CheckerSpec(id: "b")]
        _ = try e.load([vs([rs(2, checkers: two), rs(3)], alpha: true)], now: clock.now)
        #expect(e.weights().isEmpty)
        var a = e.handle(CheckerEvent(realServer: rsID(2), checker: "a", up: true))
        #expect(e.weights().isEmpty, "one of two checkers is not enough")
        #expect(logs(a).isEmpty)
        a = e.handle(CheckerEvent(realServer: rsID(2), checker: "b", up: true))
        #expect(e.weights() == ["10.0.0.2": 1])
        #expect(logs(a) == ["Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80",
                            "Gained quorum 1+0=1 <= 1 for VS [10.0.0.1]:tcp:80"])
    }

    @Test func alphaWithInhibitAddsAtOnceWithWeightZero() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, weight: 5, inhibit: true), rs(3, weight: 2)], alpha: true)], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 0])
        let a = e.handle(up(2))
        #expect(e.weights() == ["10.0.0.2": 5])
        #expect(logs(a).first == "Enabling service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80")
    }

    @Test func checkerAlphaOverridesServerAndServerOverridesVirtualServer() throws {
        var e = DirectorEngine()
        let spec = vs([rs(2, alpha: false), rs(3, checkers: [CheckerSpec(id: "tcp", alpha: false)]), rs(4)], alpha: true)
        _ = try e.load([spec], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.3": 1])
        #expect(e.checkerState(rsID(4), "tcp")?.up == false)
    }

    @Test func serverWithoutCheckersIsAlwaysAlive() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, checkers: [])], alpha: true)], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 1])
    }

    @Test func alphaFirstFailureRunsNotifyDownOnce() throws {
        var e = DirectorEngine()
        let down2 = ScriptCommand(["/bin/down", "2"])
        _ = try e.load([vs([rs(2, down: down2)], alpha: true)], now: clock.now)
        #expect(scripts(e.handle(down(2))) == ["/bin/down 2"])
        #expect(scripts(e.handle(down(2))).isEmpty)
        #expect(e.weights().isEmpty)
    }

    @Test func drAndTunnelPortsAreForcedToTheServicePort() throws {
        var e = DirectorEngine()
        var s = rs(2)
        s.forwarding = .route
        s.port = 8080
        let r = try e.load([vs([s])], now: clock.now)
        #expect(e.desiredTable().first?.destinations.first?.port == 80)
        #expect(logs(r).contains("WARNING - virtual server [10.0.0.1]:tcp:80 and real server [10.0.0.2]:tcp:8080 ports don't match - resetting"))
    }

    @Test func virtualServerWithoutRealServersIsIgnored() throws {
        var e = DirectorEngine()
        let r = try e.load([vs([])], now: clock.now)
        #expect(e.desiredTable().isEmpty)
        #expect(logs(r) == ["Virtual server [10.0.0.1]:tcp:80 has no real servers - ignoring"])
    }

    @Test func groupAppliesTheSameServersToEveryMember() throws {
        var e = DirectorEngine()
        let k2 = ServiceKey.address(.tcp, ip("10.0.0.100"), port: 80)
        var spec = vs([rs(2)])
        spec.group = VirtualServerGroupSpec(name: "G", members: [web, k2])
        _ = try e.load([spec], now: clock.now)
        #expect(e.desiredTable().map(\.service.key) == [web, k2])
        #expect(e.desiredTable().allSatisfy { $0.destinations.map(\.address) == [ip("10.0.0.2")] })
        let a = e.handle(CheckerEvent(realServer: RealServerID(.group("G"), ip("10.0.0.2"), 80), checker: "tcp", up: false))
        #expect(logs(a).first == "Removing service [10.0.0.2]:tcp:80 from VS [G]:0")
        #expect(e.desiredTable().allSatisfy { $0.destinations.isEmpty })
    }
}
