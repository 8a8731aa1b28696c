import Director
import IPVSKit
import Testing

@Suite("Director: reload")
struct ReloadTests {
    let clock = FakeClock()

    @Test func weightChangeIsAnEditOfAKeptServer() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        let r = try e.load([vs([rs(2, weight: 5), rs(3)])], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 5, "10.0.0.3": 1])
        #expect(logs(r) == ["Changing weight from 1 to 5 for active service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80"])
        #expect(e.checkerState(rsID(2), "tcp") == CheckerState(up: true, hasRun: false, alpha: false))
    }

    @Test func failedServerStaysFailedAcrossReload() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        _ = e.handle(down(2))
        let r = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        #expect(logs(r).isEmpty)
        #expect(e.weights() == ["10.0.0.3": 1])
        #expect(e.checkerState(rsID(2), "tcp") == CheckerState(up: false, hasRun: true, alpha: false))
    }

    @Test func changedCheckerStartsFresh() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        _ = e.handle(down(2))
        let r = try e.load([vs([rs(2, checkers: [CheckerSpec(id: "tcp-timeout-3")]), rs(3)])], now: clock.now)
        #expect(e.checkerState(rsID(2), "tcp") == nil)
        #expect(e.checkerState(rsID(2), "tcp-timeout-3")?.hasRun == false)
        #expect(logs(r) == ["Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80"])
        #expect(e.weights()["10.0.0.2"] == 1)
    }

    @Test func removedServerIsDeletedEvenWhenInhibited() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)], inhibit: true)], now: clock.now)
        _ = e.handle(down(3))
        #expect(e.weights()["10.0.0.3"] == 0)
        let r = try e.load([vs([rs(2)], inhibit: true)], now: clock.now)
        #expect(logs(r) == ["service [10.0.0.3]:tcp:80 no longer exist",
                                    "Removing (inhibited) service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80"])
        #expect(e.weights() == ["10.0.0.2": 1])
        #expect(e.checkerState(rsID(3), "tcp") == nil)
    }

    @Test func newServerAtReloadStartsLikeAtStartUp() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2)])], now: clock.now)
        _ = try e.load([vs([rs(2), rs(3, alpha: true), rs(4)])], now: clock.now)
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.4": 1])
        #expect(e.checkerState(rsID(3), "tcp")?.hasRun == false && e.checkerState(rsID(4), "tcp")?.hasRun == false)
        #expect(e.checkerState(rsID(3), "tcp")?.alpha == true)
    }

    @Test func schedulerChangeKeepsEveryServerState() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: clock.now)
        _ = e.handle(down(3))
        _ = try e.load([vs([rs(2), rs(3)], scheduler: "rr")], now: clock.now)
        #expect(e.desiredTable().first?.service.scheduler == "rr")
        #expect(e.weights() == ["10.0.0.2": 1])
    }

    @Test func removedVirtualServerIsCleared() throws {
        var e = DirectorEngine()
        let other = ServiceKey.address(.udp, vip, port: 53)
        let dns = VirtualServerSpec(service: Service(key: other), realServers: [rs(7)])
        _ = try e.load([vs([rs(2)]), dns], now: clock.now)
        let r = try e.load([dns], now: clock.now)
        #expect(logs(r).prefix(2) == ["Removing Virtual Server [10.0.0.1]:tcp:80",
                                              "Removing service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80"])
        #expect(e.managedServices == [other])
        #expect(e.desiredTable().map(\.service.key) == [other])
    }

    @Test func removingAnActiveSorryServerReinstatesAliveServers() throws {
        var e = DirectorEngine()
        let sorry = SorryServerSpec(address: ip("10.0.0.9"), port: 80)
        _ = try e.load([vs([rs(2), rs(3)], quorum: 2, sorry: sorry)], now: clock.now)
        _ = e.handle(down(2))
        #expect(e.weights() == ["10.0.0.9": 1])
        let r = try e.load([vs([rs(2), rs(3)], quorum: 2)], now: clock.now)
        #expect(logs(r).prefix(2) == ["Removing sorry server [10.0.0.9]:tcp:80 from VS [10.0.0.1]:tcp:80",
                                              "Adding alive servers to the pool for VS [10.0.0.1]:tcp:80"])
        #expect(e.weights() == ["10.0.0.3": 1])
    }

    @Test func invalidSpecsAreRefusedWholeAndNameTheService() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2)])], now: clock.now)
        let before = e.desiredTable()
        var badRS = rs(3, weight: -1)
        badRS.lowerThreshold = 10
        badRS.upperThreshold = 5
        let v6 = RealServerSpec(address: ip("2001:db8::5"), port: 80)
        let other = ServiceKey.address(.tcp, ip("10.0.0.50"), port: 443)
        let specs = [vs([rs(2, weight: 9), badRS]), vs([v6], key: other, scheduler: "a-very-long-scheduler")]
        var problems: [SpecProblem] = []
        do {
            _ = try e.load(specs, now: clock.now)
        } catch {
            if case .invalidSpec(let p) = error { problems = p }
        }
        let text = problems.map(\.description)
        #expect(text.contains("virtual server [10.0.0.1]:tcp:80, real server [10.0.0.3]:tcp:80: weight -1 is negative"))
        #expect(text.contains { $0.hasPrefix("virtual server [10.0.0.1]:tcp:80, real server [10.0.0.3]:tcp:80: lower threshold 10 exceeds upper threshold 5") })
        #expect(text.contains { $0.hasPrefix("virtual server [10.0.0.50]:tcp:443: scheduler name") })
        #expect(text.contains { $0.hasPrefix("virtual server [10.0.0.50]:tcp:443, real server [2001:db8::5]:tcp:80:") })
        #expect(e.desiredTable() == before, "nothing of the refused specs was applied")
        #expect(e.weights() == ["10.0.0.2": 1])
    }

    @Test func duplicateVirtualServersAreRefused() throws {
        var e = DirectorEngine()
        #expect(throws: DirectorError.self) { try e.load([vs([rs(2)]), vs([rs(3)])], now: clock.now) }
        #expect(!e.isLoaded)
    }
}

@Suite("Director: drain")
struct DrainTests {
    func kernel(_ e: DirectorEngine, connections: [Int: (active: UInt32, inactive: UInt32)]) -> [ServiceEntry] {
        e.desiredTable().map { entry in
            var entry = entry
            for i in entry.destinations.indices {
                let last = Int(entry.destinations[i].address.description.split(separator: ".").last ?? "") ?? 0
                if let c = connections[last] {
                    entry.destinations[i].activeConnections = c.active
                    entry.destinations[i].inactiveConnections = c.inactive
                }
            }
            return entry
        }
    }

    @Test func removedServerDrainsUntilConnectionsEnd() throws {
        var clock = FakeClock()
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3, weight: 4)], drain: .seconds(30))], now: clock.now)
        let r = try e.load([vs([rs(2)], drain: .seconds(30))], now: clock.now)
        #expect(logs(r) == ["service [10.0.0.3]:tcp:80 no longer exist",
                                    "Draining service [10.0.0.3]:tcp:80 of VS [10.0.0.1]:tcp:80: weight 0 until its connections end or 30.0 seconds pass"])
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.3": 0])
        clock.advance(.seconds(5))
        #expect(e.updateDrains(kernel: kernel(e, connections: [3: (2, 1)]), now: clock.now).isEmpty)
        #expect(e.weights()["10.0.0.3"] == 0)
        #expect(e.drainingServers.map(\.id) == [rsID(3)])
        let done = e.updateDrains(kernel: kernel(e, connections: [3: (0, 0)]), now: clock.now)
        #expect(logs(done) == ["Removing drained service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80: no connections left"])
        #expect(e.weights() == ["10.0.0.2": 1])
    }

    @Test func drainTimeoutDeletesDespiteConnections() throws {
        var clock = FakeClock()
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)], drain: .seconds(30))], now: clock.now)
        _ = try e.load([vs([rs(2)], drain: .seconds(30))], now: clock.now)
        clock.advance(.seconds(29))
        #expect(e.updateDrains(kernel: kernel(e, connections: [3: (1, 0)]), now: clock.now).isEmpty)
        clock.advance(.seconds(1))
        let done = e.updateDrains(kernel: kernel(e, connections: [3: (1, 0)]), now: clock.now)
        #expect(logs(done) == ["Removing drained service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80: drain timeout passed with 1 connections"])
        #expect(e.weights() == ["10.0.0.2": 1])
    }

    @Test func withoutDrainTimeoutRemovalIsImmediate() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)])], now: .now)
        _ = try e.load([vs([rs(2)])], now: .now)
        #expect(e.weights() == ["10.0.0.2": 1])
        #expect(e.drainingServers.isEmpty)
    }

    @Test func serverConfiguredAgainStopsDraining() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)], drain: .seconds(30))], now: .now)
        _ = try e.load([vs([rs(2)], drain: .seconds(30))], now: .now)
        let r = try e.load([vs([rs(2), rs(3, weight: 2)], drain: .seconds(30))], now: .now)
        #expect(logs(r).first == "Service [10.0.0.3]:tcp:80 of VS [10.0.0.1]:tcp:80 is configured again; draining stopped")
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.3": 2])
        #expect(e.drainingServers.isEmpty)
    }

    @Test func switchingDrainOffRemovesWhatIsDraining() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)], drain: .seconds(30))], now: .now)
        _ = try e.load([vs([rs(2)], drain: .seconds(30))], now: .now)
        let r = try e.load([vs([rs(2)])], now: .now)
        #expect(logs(r) == ["Removing drained service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80: drain_timeout no longer configured"])
        #expect(e.weights() == ["10.0.0.2": 1])
    }

    @Test func removedVirtualServerDrainsBeforeItsServiceIsDeleted() throws {
        var e = DirectorEngine()
        let other = ServiceKey.address(.tcp, ip("10.0.0.100"), port: 443)
        let keep = vs([rs(7)], key: other)
        _ = try e.load([vs([rs(2), rs(3)], drain: .seconds(30)), keep], now: .now)
        let r = try e.load([keep], now: .now)
        #expect(logs(r) == ["Removing Virtual Server [10.0.0.1]:tcp:80",
                                    "Draining service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80: weight 0 until its connections end or 30.0 seconds pass",
                                    "Draining service [10.0.0.3]:tcp:80 of VS [10.0.0.1]:tcp:80: weight 0 until its connections end or 30.0 seconds pass"])
        #expect(e.weights() == ["10.0.0.2": 0, "10.0.0.3": 0])
        #expect(Set(e.managedServices) == [web, other])
        let busy = kernel(e, connections: [2: (1, 0)])
        #expect(logs(e.updateDrains(kernel: busy, now: .now)) == ["Removing drained service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80: no connections left"])
        #expect(e.managedServices.contains(web))
        let idle = kernel(e, connections: [:])
        #expect(logs(e.updateDrains(kernel: idle, now: .now)) == ["Removing drained service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80: no connections left",
                                                                  "Removing Virtual Server [10.0.0.1]:tcp:80: drained"])
        #expect(e.managedServices == [other])
    }

    @Test func drainingVirtualServerConfiguredAgainComesBack() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)], drain: .seconds(30))], now: .now)
        _ = try e.load([], now: .now)
        #expect(e.weights() == ["10.0.0.2": 0, "10.0.0.3": 0])
        let r = try e.load([vs([rs(2)], drain: .seconds(30))], now: .now)
        #expect(logs(r).contains("Service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80 is configured again; draining stopped"))
        #expect(logs(r).contains("Adding service [10.0.0.2]:tcp:80 to VS [10.0.0.1]:tcp:80"))
        #expect(e.weights() == ["10.0.0.2": 1, "10.0.0.3": 0], "10.0.0.3 keeps draining")
    }

    @Test func failedServerRemovedWithoutInhibitHasNothingToDrain() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2), rs(3)], drain: .seconds(30))], now: .now)
        _ = e.handle(down(3))
        _ = try e.load([vs([rs(2)], drain: .seconds(30))], now: .now)
        #expect(e.drainingServers.isEmpty)
        #expect(e.weights() == ["10.0.0.2": 1])
    }
}

@Suite("Director: shutdown")
struct ShutdownTests {
    @Test func shutdownClearsEverythingWithKeepalivedsLines() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, down: ScriptCommand(["/bin/d2"])), rs(3)], inhibit: true, quorumDown: ScriptCommand(["/bin/qd"]))], now: .now)
        _ = e.handle(down(3))
        let a = e.shutdown()
        #expect(logs(a) == ["Shutting down service [10.0.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80",
                            "Shutting down (inhibited) service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80"])
        #expect(scripts(a).isEmpty, "without omega no notifier runs at shutdown")
        #expect(e.desiredTable().allSatisfy { $0.destinations.isEmpty })
    }

    @Test func omegaRunsDownNotifiersAtShutdown() throws {
        var e = DirectorEngine()
        _ = try e.load([vs([rs(2, down: ScriptCommand(["/bin/d2"])), rs(3)], omega: true, quorumDown: ScriptCommand(["/bin/qd"]))], now: .now)
        #expect(scripts(e.shutdown()) == ["/bin/d2", "/bin/qd"])
    }
}
