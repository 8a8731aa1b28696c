import Director
import IPVSKit
import Testing

@Suite("Director: real-server transitions")
struct TransitionTests {
    let clock = FakeClock()

    @Test func downWithoutInhibitDeletesAndUpAddsBack() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, weight: 4), rs(3)])], now: clock.now)
        var a = e.handle(down(2))
        #expect(e.weights() == ["10.0.0.3": 1])
        #expect(logs(a) == ["Removing service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80"])
        #expect(a.contains(.realServerChanged(rsID(2), up: false)))
        a = e.handle(up(2))
        #expect(e.weights() == ["10.0.0.2": 4, "10.0.0.3": 1])
        #expect(logs(a) == ["Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80"])
    }

    @Test func downWithInhibitKeepsWeightZero() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, weight: 4), rs(3)], inhibit: true)], now: clock.now)
        var a = e.handle(down(2))
        #expect(e.weights() == ["10.0.0.2": 0, "10.0.0.3": 1])
        #expect(logs(a) == ["Disabling service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80"])
        a = e.handle(up(2))
        #expect(e.weights() == ["10.0.0.2": 4, "10.0.0.3": 1])
        #expect(logs(a) == ["Enabling service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80"])
    }

    @Test func serverIsAliveOnlyWhenAllItsCheckersAreUp() throws {
        var e = DirectorEngine()
        let cs = [CheckerSpec(id: "http"), CheckerSpec(id: "misc")]
        _ = try e.load([vs([rs(2, checkers: cs), rs(3)])], now: clock.now)
        _ = e.handle(down(2, "http"))
        _ = e.handle(down(2, "misc"))
        #expect(e.weights()["10.0.0.2"] == nil)
        let a = e.handle(up(2, "http"))
        #expect(logs(a).isEmpty)
        #expect(e.weights()["10.0.0.2"] == nil, "misc is still down")
        _ = e.handle(up(2, "misc"))
        #expect(e.weights()["10.0.0.2"] == 1)
    }

    @Test func repeatedResultsChangeNothing() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        #expect(e.handle(up(2)).isEmpty)
        _ = e.handle(down(2))
        #expect(e.handle(down(2)).isEmpty)
    }

    @Test func notifyScriptsRunOnTransitions() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, up: ScriptCommand(["/usr/bin/up", "x"]), down: ScriptCommand(["/usr/bin/down"])), rs(3)])], now: clock.now)
        #expect(scripts(e.handle(down(2))) == ["/usr/bin/down"])
        #expect(scripts(e.handle(up(2))) == ["/usr/bin/up x"])
    }

    @Test func dynamicWeightChangesTheTableAndIsLogged() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, weight: 1), rs(3)])], now: clock.now)
        var a = e.handle(up(2, weight: 7))
        #expect(e.weights()["10.0.0.2"] == 7)
        #expect(logs(a) == ["Changing weight from 1 to 7 for active service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80"])
        _ = e.handle(down(2))
        a = e.handle(CheckerEvent(realServer: rsID(2), checker: "tcp", up: false, weight: 3))
        #expect(logs(a) == ["Changing weight from 7 to 3 for inactive service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80"])
        #expect(e.weights()["10.0.0.2"] == nil)
        _ = e.handle(up(2))
        #expect(e.weights()["10.0.0.2"] == 3, "the dynamic weight applies when it comes back")
    }

    @Test func dynamicWeightIsClamped() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        _ = e.handle(up(2, weight: -5))
        #expect(e.weights()["10.0.0.2"] == 0)
        _ = e.handle(up(2, weight: Int64(Int32.max) + 10))
        #expect(e.weights()["10.0.0.2"] == Int32.max)
    }

    @Test func fifoLinesUseKeepalivedsFormat() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2)])], now: clock.now)
        let lines = e.handle(down(2)).compactMap { e.fifoLine(for: $0) }
        #expect(lines == ["RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n", "VS [10.0.0.1]:tcp:80 DOWN\n"])
    }

    @Test func eventsForUnknownServersOrCheckersAreIgnored() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2)])], now: clock.now)
        #expect(e.handle(down(9)).isEmpty)
        #expect(e.handle(down(2, "nope")).isEmpty)
        #expect(e.weights() == ["10.0.0.2": 1])
    }
}

@Suite("Director: keepalived address formats")
struct FormatTests {
    @Test func virtualServerFormats() {
        #expect(VirtualServerID.service(web).description == "[10.0.0.1]:tcp:80")
        #expect(VirtualServerID.service(.address(.udp, ip("2001:db8::1"), port: 53)).description == "[2001:db8::1]:udp:53")
        #expect(VirtualServerID.service(.address(.sctp, vip, port: 9)).description == "[10.0.0.1]:sctp:9")
        #expect(VirtualServerID.service(.firewallMark(7, family: .inet)).description == "FWM 7")
        #expect(VirtualServerID.group("web").description == "[web]:0")
    }

    @Test func firewallMarkServersLogWithoutProtocolAndPort() throws {
        var e = DirectorEngine()
        let key = ServiceKey.firewallMark(7, family: .inet)
        var s = rs(2)
        s.forwarding = .route
        _ = try e.load([vs([s, rs(3)], key: key)], now: .now)
        let a = e.handle(CheckerEvent(realServer: RealServerID(.service(key), ip("10.0.0.2"), 0), checker: "tcp", up: false))
        #expect(logs(a) == ["Removing service [10.0.0.2]:none:0 from VS FWM 7"])
    }
}
