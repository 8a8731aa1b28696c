import Director
import IPVSKit
import Testing

@Suite("Director: quorum, hysteresis and sorry server")
struct QuorumTests {
    let clock = FakeClock()
    let sorry = SorryServerSpec(address: ip("10.0.0.9"), port: 80)
    let qUp = ScriptCommand(["/etc/lvs/quorum", "up"])
    let qDown = ScriptCommand(["/etc/lvs/quorum", "down"])

    func four(quorum: UInt32 = 3, hysteresis: UInt32 = 1, sorry: SorryServerSpec? = nil, inhibit: Bool = false) -> VirtualServerSpec {
        vs([rs(2), rs(3), rs(4), rs(5)], quorum: quorum, hysteresis: hysteresis, sorry: sorry, inhibit: inhibit,
           quorumUp: qUp, quorumDown: qDown)
    }

    @Test func gainAndLossFollowHysteresis() throws {
        var e = DirectorEngine()
        let r = try e.load([four()], now: clock.now)
        #expect(logs(r) == ["Gained quorum 3+1=4 <= 4 for VS [10.0.0.1]:tcp:80"])
        #expect(scripts(r) == ["/etc/lvs/quorum up"])
        _ = e.handle(down(2))
        #expect(logs(e.handle(down(3))) == ["Removing service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80"],
                "Σ=2 is not below quorum-hysteresis=2")
        let lost = e.handle(down(4))
        #expect(logs(lost) == ["Removing service [10.0.0.4]:tcp:80 from VS [10.0.0.1]:tcp:80",
                               "Lost quorum 3-1=2 > 1 for VS [10.0.0.1]:tcp:80"])
        #expect(scripts(lost) == ["/etc/lvs/quorum down"])
        #expect(lost.contains(.quorumChanged(webID, up: false)))
        _ = e.handle(up(2))
        let notYet = e.handle(up(3))
        #expect(!logs(notYet).contains { $0.hasPrefix("Gained") }, "Σ=3 is below quorum+hysteresis=4")
        let gained = e.handle(up(4))
        #expect(logs(gained).last == "Gained quorum 3+1=4 <= 4 for VS [10.0.0.1]:tcp:80")
        #expect(scripts(gained) == ["/etc/lvs/quorum up"])
    }

    @Test func lossToZeroIsAlwaysALoss() throws {
        var e = DirectorEngine()
        // quorum 1, hysteresis 0: Σ=0 < 1.
        _ = try e.load([vs([rs(2)])], now: clock.now)
        #expect(logs(e.handle(down(2))).last == "Lost quorum 1-0=1 > 0 for VS [10.0.0.1]:tcp:80")
    }

    @Test func sorryServerSwapsInAndOut() throws {
        var e = DirectorEngine()
        _ = try e.load([four(sorry: sorry)], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.3": 1, "10.0.0.4": 1, "10.0.0.5": 1])
        _ = e.handle(down(2))
        _ = e.handle(down(3))
        let lost = e.handle(down(4))
        #expect(logs(lost) == ["Removing service [10.0.0.4]:tcp:80 from VS [10.0.0.1]:tcp:80",
                               "Lost quorum 3-1=2 > 1 for VS [10.0.0.1]:tcp:80",
                               "Adding sorry server [10.0.0.9]:tcp:80 to VS [10.0.0.1]:tcp:80",
                               "Removing alive servers from the pool for VS [10.0.0.1]:tcp:80"])
        #expect(e.weights() == ["10.0.0.9": 1], "remaining alive server 10.0.0.5 removed, sorry server added")

        // While the sorry server is in service, transitions are logged but do not touch the table.
        var a = e.handle(up(2))
        #expect(logs(a) == ["Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80"])
        #expect(e.weights() == ["10.0.0.9": 1])
        a = e.handle(down(5))
        #expect(e.weights() == ["10.0.0.9": 1])
        _ = e.handle(up(5))
        _ = e.handle(up(3))
        a = e.handle(up(4))
        #expect(logs(a) == ["Adding service [10.0.0.4]:tcp:80 to VS [10.0.0.1]:tcp:80",
                            "Gained quorum 3+1=4 <= 4 for VS [10.0.0.1]:tcp:80",
                            "Removing sorry server [10.0.0.9]:tcp:80 from VS [10.0.0.1]:tcp:80",
                            "Adding alive servers to the pool for VS [10.0.0.1]:tcp:80"])
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.3": 1, "10.0.0.4": 1, "10.0.0.5": 1])
    }

    @Test func sorryServerInhibitKeepsItAtWeightZero() throws {
        var e = DirectorEngine()
        var s = sorry
        s.inhibit = true
        s.weight = 2
        _ = try e.load([vs([rs(2)], sorry: s)], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.9": 0])
        let lost = e.handle(down(2))
        #expect(logs(lost).contains("Enabling sorry server [10.0.0.9]:tcp:80 to VS [10.0.0.1]:tcp:80"))
        #expect(e.weights() == ["10.0.0.9": 2])
        let gained = e.handle(up(2))
        #expect(logs(gained).contains("Disabling sorry server [10.0.0.9]:tcp:80 from VS [10.0.0.1]:tcp:80"))
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.9": 0])
    }

    @Test func inhibitedServersStayAtWeightZeroBesideTheSorryServer() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)], quorum: 2, sorry: sorry, inhibit: true)], now: clock.now)
        _ = e.handle(down(2))
        #expect(e.weights() == ["10.0.0.2": 0, "10.0.0.3": 0, "10.0.0.9": 1])
    }

    @Test func startingWithQuorumDownAddsTheSorryServer() throws {
        var e = DirectorEngine()
        let r = try e.load([vs([rs(2), rs(3)], sorry: sorry, alpha: true)], now: clock.now)
        #expect(logs(r) == ["Starting with quorum down 1-0=1 > 0 for VS [10.0.0.1]:tcp:80",
                                    "Adding sorry server [10.0.0.9]:tcp:80 to VS [10.0.0.1]:tcp:80",
                                    "Removing alive servers from the pool for VS [10.0.0.1]:tcp:80"])
        #expect(e.weights() == ["10.0.0.9": 1])
        _ = e.handle(up(2))
        #expect(e.weights() == ["10.0.0.2": 1])
    }

    @Test func sorryServerMayBeOneOfTheRealServers() throws {
        var e = DirectorEngine()
        let twin = SorryServerSpec(address: ip("10.0.0.2"), port: 80, inhibit: true)
        let r = try e.load([vs([rs(2), rs(3)], quorum: 2, sorry: twin)], now: clock.now)
        #expect(logs(r).first == "Virtual server [10.0.0.1]:tcp:80: real server [10.0.0.2]:tcp:80 matches sorry server, but inhibit setting differs, clearing on sorry server")
        _ = e.handle(down(3))
        #expect(e.weights() == ["10.0.0.2": 1], "only the sorry server (10.0.0.2) is in service")
        _ = e.handle(up(3))
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.3": 1])
        _ = e.shutdown()
        #expect(e.desiredTable().allSatisfy { $0.destinations.isEmpty })
    }

    @Test func quorumAndHysteresisAreClamped() throws {
        var e = DirectorEngine()
        let r = try e.load([vs([rs(2), rs(3), rs(4)], quorum: 10, hysteresis: 5)], now: clock.now)
        #expect(logs(r).prefix(2) == [
            "Warning - quorum 10 for [10.0.0.1]:tcp:80 exceeds total weight of real servers 3, reducing quorum to 3",
            "Virtual server [10.0.0.1]:tcp:80: hysteresis 5 >= quorum 3; setting hysteresis to 2"])
        #expect(e.specs.first?.quorum == 3)
        #expect(e.specs.first?.hysteresis == 2)
    }

    @Test func inhibitedServersDoNotCountTowardsQuorum() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, weight: 2), rs(3, weight: 2)], quorum: 3, inhibit: true)], now: clock.now)
        let a = e.handle(down(2))
        #expect(logs(a).last == "Lost quorum 3-0=3 > 2 for VS [10.0.0.1]:tcp:80")
        #expect(e.status().first?.liveWeight == 2)
    }
}
