import Director
import Glibc
import IPVSKit
import Testing

@Suite("Director: reconciling with a (fake) kernel")
struct ReconcilerTests {
    /// The kernel as a previous lvsd left it: web with 10.0.0.2 (weight 1) and 10.0.0.3 (weight 1), with traffic.
    func busyKernel(extra: [Destination] = []) -> FakeKernel {
        var stats = Stats()
        stats.connections = 1234
        var d2 = Destination(address: ip("10.0.0.2"), port: 80, forwarding: .masquerade, weight: 1, activeConnections: 7)
        d2.stats.connections = 600
        let d3 = Destination(address: ip("10.0.0.3"), port: 80, forwarding: .masquerade, weight: 1, activeConnections: 3)
        let other = ServiceEntry(service: Service(key: .address(.udp, ip("192.0.2.1"), port: 53)), destinations: [])
        return FakeKernel([ServiceEntry(service: Service(key: web, scheduler: "wlc", stats: stats), destinations: [d2, d3] + extra), other])
    }

    @Test func startAdoptsMatchingEntriesWithoutTouchingThem() throws {
        let k = busyKernel()
        let d = Director(kernel: k)
        let u = try d.start([vs([rs(2), rs(3)])])
        #expect(k.operations.isEmpty, "nothing re-created: \(k.operations)")
        #expect(u.logLines.contains("Adopting VS [10.0.0.1]:tcp:80 from the kernel table"))
        #expect(k.entries.first?.service.stats.connections == 1234)
        #expect(k.entries.first?.destinations.first?.activeConnections == 7)
    }

    @Test func startEditsDifferencesInPlaceAndLeavesUnmanagedServicesAlone() throws {
        let k = busyKernel(extra: [Destination(address: ip("10.0.0.8"), port: 80, forwarding: .masquerade)])
        let d = Director(kernel: k)
        let u = try d.start([vs([rs(2, weight: 5), rs(3), rs(4)], scheduler: "rr")])
        let ops = k.operations.map(\.description)
        #expect(ops == ["set-service TCP 10.0.0.1:80", "del-dest TCP 10.0.0.1:80 -> 10.0.0.8:80",
                        "set-dest TCP 10.0.0.1:80 -> 10.0.0.2:80", "new-dest TCP 10.0.0.1:80 -> 10.0.0.4:80"])
        #expect(u.logLines.contains("Removing service [10.0.0.8]:tcp:80 from VS [10.0.0.1]:tcp:80: not in the configuration"))
        #expect(k.entries.first?.service.stats.connections == 1234, "the service was edited, not re-created")
        #expect(k.entries.count == 2, "the unmanaged UDP service is untouched")
    }

    @Test func startDrainsUnknownDestinationsWhenDrainIsConfigured() throws {
        let k = busyKernel(extra: [Destination(address: ip("10.0.0.8"), port: 80, forwarding: .masquerade, weight: 3, activeConnections: 2)])
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2), rs(3)], drain: .seconds(60))])
        #expect(k.entries.first?.destinations.first { $0.address == ip("10.0.0.8") }?.weight == 0)
    }

    @Test func alphaServersFoundInTheKernelStayUntilTheirFirstCheck() throws {
        let k = busyKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2), rs(3)], alpha: true)])
        #expect(k.operations.isEmpty, "adopted alpha servers are not deleted before any check")
        _ = d.handle(up(2))
        #expect(k.operations.isEmpty)
        _ = d.handle(down(3))
        #expect(k.operations.map(\.description) == ["del-dest TCP 10.0.0.1:80 -> 10.0.0.3:80"])
    }

    @Test func adoptedAlphaServerWithSeveralCheckersWaitsForAllOfThem() throws {
        let k = busyKernel()
        let d = Director(kernel: k)
        let two = [CheckerSpec(id: "a"), CheckerSpec(id: "b")]
        _ = try d.start([vs([rs(2, checkers: two), rs(3, checkers: two)], alpha: true)])
        _ = d.handle(up(2, "a"))
        #expect(k.operations.isEmpty, "one passing checker of two settles nothing")
        _ = d.handle(up(2, "b"))
        _ = d.handle(up(3, "a"))
        _ = d.handle(down(3, "b"))
        #expect(k.operations.map(\.description) == ["del-dest TCP 10.0.0.1:80 -> 10.0.0.3:80"])
    }

    @Test func checkerEventsBecomeMinimalKernelChanges() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2), rs(3, inhibit: true)])])
        k.clearLog()
        let u = d.handle([down(2), down(3)])
        #expect(k.operations.map(\.description) == ["del-dest TCP 10.0.0.1:80 -> 10.0.0.2:80", "set-dest TCP 10.0.0.1:80 -> 10.0.0.3:80"])
        #expect(u.operations.count == 2)
        #expect(k.entries.first?.destinations.map(\.weight) == [0])
    }

    @Test func handEditsAreRepairedByTick() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2, weight: 3), rs(3)])])
        k.mutate { t in
            t[0].destinations[0].weight = 9
            t[0].destinations.remove(at: 1)
            t[0].destinations.append(Destination(address: ip("10.0.0.66"), port: 80, forwarding: .masquerade))
        }
        k.clearLog()
        let u = d.tick()
        #expect(u.logLines.sorted() == [
            "Repairing kernel drift: service [10.0.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80 was changed in the kernel (weight 9, wanted 3); restoring it",
            "Repairing kernel drift: service [10.0.0.3]:tcp:80 of VS [10.0.0.1]:tcp:80 is missing from the kernel table; re-adding it with weight 1",
            "Repairing kernel drift: service [10.0.0.66]:tcp:80 of VS [10.0.0.1]:tcp:80 is in the kernel table but not wanted; removing it",
        ])
        #expect(k.entries.first?.destinations.sorted { $0.address < $1.address }.map(\.weight) == [3, 1])
        #expect(d.tick().logLines.isEmpty, "nothing left to repair")
        k.mutate { t in
            t[0].service.scheduler = "rr"
            t[0].service.persistenceTimeout = 300
            t[0].service.flags.insert(.persistent)
        }
        #expect(d.tick().logLines == ["Repairing kernel drift: VS [10.0.0.1]:tcp:80 was changed in the kernel (scheduler rr, wanted wlc; flags 0x1, wanted 0x0; persistence 300, wanted 0); restoring it"])
        #expect(k.entries.first?.service.scheduler == "wlc")
    }

    @Test func checkerEventsLeaveDriftToTick() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2, weight: 3), rs(3)])])
        k.mutate { $0[0].destinations[0].weight = 9 }
        k.clearLog()
        _ = d.handle(down(3))
        #expect(k.operations.map(\.description) == ["del-dest TCP 10.0.0.1:80 -> 10.0.0.3:80"])
        #expect(k.entries.first?.destinations.map(\.weight) == [9])
        _ = d.tick(repairDrift: false)
        #expect(k.entries.first?.destinations.map(\.weight) == [9])
        _ = d.tick()
        #expect(k.entries.first?.destinations.map(\.weight) == [3])
    }

    @Test func deletedServiceIsRepairedAndEventsRecoverFromAStaleCache() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2), rs(3)])])
        k.mutate { $0.removeAll() }
        // The cached table says 10.0.0.2 is there; the kernel refuses the delete, the director re-reads and re-plans.
        let u = d.handle(down(2))
        #expect(k.entries.first?.destinations.map(\.address) == [ip("10.0.0.3")])
        #expect(u.failures.isEmpty)
        #expect(u.logLines.contains { $0.hasPrefix("IPVS table changed outside lvsd (IPVS cmd del-dest TCP 10.0.0.1:80 -> 10.0.0.2:80 error:") })
        #expect(u.operations.map(\.description) == ["new-service TCP 10.0.0.1:80", "new-dest TCP 10.0.0.1:80 -> 10.0.0.3:80"])
        #expect(d.tick().logLines.isEmpty)
    }

    @Test func invalidReloadAppliesNothing() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2), rs(3)])])
        k.clearLog()
        #expect(throws: DirectorError.self) { try d.reload([vs([rs(2, weight: 4), rs(3, weight: -2)])]) }
        #expect(k.operations.isEmpty)
        #expect(d.desiredTable().first?.destinations.map(\.weight) == [1, 1])
    }

    @Test func kernelRefusalRollsBackAndKeepsTheOldConfiguration() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2)])])
        k.refuse { if case .addDestination(let dest, _) = $0 { return dest.address == ip("10.0.0.4") } else { return false } }
        #expect(throws: DirectorError.self) { try d.reload([vs([rs(2, weight: 7), rs(4)])]) }
        #expect(k.entries.first?.destinations.map(\.weight) == [1], "the weight edit was rolled back")
        #expect(d.engine.specs.first?.realServers.count == 1)
    }

    @Test func reloadEditsInPlaceAndDeletesRemovedVirtualServers() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        let dnsKey = ServiceKey.address(.udp, vip, port: 53)
        let dns = VirtualServerSpec(service: Service(key: dnsKey), realServers: [RealServerSpec(address: ip("10.0.0.7"), port: 53)])
        _ = try d.start([vs([rs(2), rs(3)]), dns])
        k.clearLog()
        let u = try d.reload([vs([rs(2, weight: 2), rs(3)], scheduler: "rr")])
        #expect(k.operations.map(\.description) == ["del-service UDP 10.0.0.1:53", "set-service TCP 10.0.0.1:80", "set-dest TCP 10.0.0.1:80 -> 10.0.0.2:80"])
        #expect(u.logLines.first == "Removing Virtual Server [10.0.0.1]:udp:53")
    }

    @Test func drainFinishesThroughTick() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        var clock = FakeClock()
        _ = try d.start([vs([rs(2), rs(3)], drain: .seconds(10))], now: clock.now)
        k.mutate { $0[0].destinations[1].activeConnections = 4 }
        _ = try d.reload([vs([rs(2)], drain: .seconds(10))], now: clock.now)
        #expect(k.entries.first?.destinations.map(\.weight) == [1, 0])
        clock.advance(.seconds(1))
        #expect(d.tick(now: clock.now).logLines.isEmpty)
        k.mutate { $0[0].destinations[1].activeConnections = 0 }
        let u = d.tick(now: clock.now)
        #expect(u.logLines == ["Removing drained service [10.0.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80: no connections left"])
        #expect(k.entries.first?.destinations.map(\.address) == [ip("10.0.0.2")])
    }

    @Test func removedVirtualServerIsDeletedByTickOnceDrained() throws {
        let k = FakeKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2)], drain: .seconds(10))])
        k.mutate { $0[0].destinations[0].activeConnections = 2 }
        let u = try d.reload([])
        #expect(u.operations.map(\.description) == ["set-dest TCP 10.0.0.1:80 -> 10.0.0.2:80"])
        #expect(k.entries.first?.destinations.map(\.weight) == [0])
        k.mutate { $0[0].destinations[0].activeConnections = 0 }
        let t = d.tick()
        #expect(t.logLines.last == "Removing Virtual Server [10.0.0.1]:tcp:80: drained")
        #expect(t.operations == [.deleteService(web)])
        #expect(k.entries.isEmpty)
    }

    @Test func shutdownDeletesOnlyManagedServices() throws {
        let k = busyKernel()
        let d = Director(kernel: k)
        _ = try d.start([vs([rs(2), rs(3)])])
        let u = d.shutdown()
        #expect(k.entries.map(\.service.key) == [.address(.udp, ip("192.0.2.1"), port: 53)])
        #expect(u.logLines.count == 2)
        #expect(u.operations == [.deleteService(web)])
    }
}

@Suite("Director: scale")
struct ScaleTests {
    @Test func thousandServersStartAndFlapQuickly() throws {
        let servers = (0..<1000).map { n in
            RealServerSpec(address: ip("10.1.\(n / 250).\(n % 250 + 1)"), port: 80, checkers: [CheckerSpec(id: "tcp")])
        }
        let k = FakeKernel()
        let d = Director(kernel: k)
        // A synchronous test without suspension points runs on one thread: its CPU time is the work done.
        let clock = ContinuousClock()
        let started = clock.now
        let cpuStarted = threadCPUTime()
        _ = try d.start([vs(servers)])
        #expect(k.entries.first?.destinations.count == 1000, "every server is in the table after start")
        let events = servers.map { CheckerEvent(realServer: RealServerID(webID, $0.address, 80), checker: "tcp", up: false) }
        for e in events { _ = d.handle(e) }
        #expect(k.entries.first?.destinations.isEmpty == true)
        _ = d.handle(events.map { var e = $0; e.up = true; return e })
        #expect(k.entries.first?.destinations.count == 1000)
        let cpu = threadCPUTime() - cpuStarted
        print("1,000 servers start and flap: \(cpu) CPU, \(clock.now - started) wall")
        #expect(cpu < .seconds(30))
    }
}
