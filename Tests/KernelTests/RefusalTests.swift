import Foundation
import Glibc
import IPVSKit
import Testing

/// What the kernel refuses, with the errno kept apart (ESRCH vs ENOENT) and ipvsadm's wording.
@Suite("Kernel: refusals")
struct KernelRefusalTests {
    let web = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)

    func refusal(_ body: () throws(IPVSError) -> Void) -> IPVSError? {
        do throws(IPVSError) { try body(); return nil } catch { return error }
    }

    @Test func serviceAlreadyExists() throws {
        let ipvs = try TestNamespace("eexist").client()
        try ipvs.addService(Service(key: web, scheduler: "rr"))
        let e = try #require(refusal { () throws(IPVSError) in try ipvs.addService(Service(key: web, scheduler: "rr")) })
        #expect(e == .kernel(command: .newService, errno: EEXIST))
        #expect(e.ipvsadmMessage == "Service already exists")
    }

    @Test func missingServiceIsESRCH() throws {
        let ipvs = try TestNamespace("esrch").client()
        let e = try #require(refusal { () throws(IPVSError) in try ipvs.deleteService(web) })
        #expect(e == .kernel(command: .deleteService, errno: ESRCH))
        #expect(e.ipvsadmMessage == "No such service")
        let d = try #require(refusal { () throws(IPVSError) in try ipvs.addDestination(Destination(address: ip("10.0.0.2"), port: 80), to: web) })
        #expect(d == .kernel(command: .newDestination, errno: ESRCH))
        #expect(d.ipvsadmMessage == "Service not defined")
    }

    @Test func missingDestinationIsENOENT() throws {
        let ipvs = try TestNamespace("enoent").client()
        try ipvs.addService(Service(key: web, scheduler: "rr"))
        let e = try #require(refusal { () throws(IPVSError) in try ipvs.updateDestination(Destination(address: ip("10.0.0.2"), port: 80), in: web) })
        #expect(e == .kernel(command: .setDestination, errno: ENOENT))
        #expect(e.ipvsadmMessage == "No such destination")
        let del = try #require(refusal { () throws(IPVSError) in try ipvs.deleteDestination(DestinationKey(address: ip("10.0.0.2"), port: 80), from: web) })
        #expect(del.ipvsadmMessage == "No such destination")
    }

    @Test func destinationAlreadyExists() throws {
        let ipvs = try TestNamespace("dexist").client()
        try ipvs.addService(Service(key: web, scheduler: "rr"))
        try ipvs.addDestination(Destination(address: ip("10.0.0.2"), port: 80), to: web)
        let e = try #require(refusal { () throws(IPVSError) in try ipvs.addDestination(Destination(address: ip("10.0.0.2"), port: 80), to: web) })
        #expect(e.ipvsadmMessage == "Destination already exists")
    }

    @Test func unknownScheduler() throws {
        let ns = try TestNamespace("sched")
        let ipvs = try ns.client()
        let e = try #require(refusal { () throws(IPVSError) in try ipvs.addService(Service(key: web, scheduler: "nosuch")) })
        #expect(e == .kernel(command: .newService, errno: ENOENT))
        #expect(e.ipvsadmMessage == "Scheduler or persistence engine not found")
        #expect(try ipvs.services().isEmpty)
    }

    @Test func invalidArgumentsAreRefusedBeforeSending() throws {
        let ns = try TestNamespace("inval")
        let ipvs = try ns.client()
        try ipvs.addService(Service(key: web, scheduler: "rr"))
        let before = try ns.ipvsadm("-Sn")
        let cases: [(IPVSOperation, String)] = [
            (.addService(Service(key: .address(.tcp, ip("10.0.0.9"), port: 80), scheduler: "a-scheduler-name-too-long")), "longer than 15"),
            (.addDestination(Destination(address: ip("10.0.0.2"), port: 80, weight: -1), service: web), "invalid weight -1"),
            (.addDestination(Destination(address: ip("10.0.0.2"), port: 80, upperThreshold: 5, lowerThreshold: 9), service: web), "lower threshold 9 exceeds upper threshold 5"),
            (.addDestination(Destination(address: ip("2001:db8::2"), port: 80, forwarding: .masquerade), service: web), "mixed families"),
            (.addService(Service(key: .firewallMark(0, family: .inet), scheduler: "rr")), "firewall mark 0"),
            (.addService(Service(key: .address(.tcp, ip("2001:db8::9"), port: 80), scheduler: "rr", persistenceTimeout: 10, netmask: 129)), "prefix length 129"),
            (.addDestination(Destination(address: ip("10.0.0.3"), port: 80, forwarding: .tunnel, tunnel: TunnelSettings(type: .gue, port: 0)), service: web), "needs a tunnel port"),
            (.startDaemon(SyncDaemon(state: .master, interface: "lo", group: ip("10.0.0.1"))), "not a multicast address"),
        ]
        let results = ipvs.perform(cases.map(\.0))
        for ((_, text), result) in zip(cases, results) {
            guard case .failure(.invalidArgument(let message)) = result else {
                Issue.record("expected invalidArgument containing \(text), got \(result)")
                continue
            }
            #expect(message.contains(text), "\(message)")
        }
        #expect(try ns.ipvsadm("-Sn") == before)
    }
}

@Suite("Kernel: timeouts, daemons, namespaces")
struct KernelSettingsTests {
    @Test func timeoutsSetAndGetWithZeroLeavingUnchanged() throws {
        let ns = try TestNamespace("tmo")
        let ipvs = try ns.client()
        #expect(try ipvs.timeouts() == Timeouts(tcp: 900, tcpFin: 120, udp: 300))
        try ipvs.setTimeouts(Timeouts(tcp: 1800, tcpFin: 0, udp: 60))
        #expect(try ipvs.timeouts() == Timeouts(tcp: 1800, tcpFin: 120, udp: 60))
        #expect(try ns.ipvsadm("-L", "--timeout") == "Timeout (tcp tcpfin udp): 1800 120 60\n")
    }

    @Test func syncDaemonsStartListStop() throws {
        let ns = try TestNamespace("sync")
        let ipvs = try ns.client()
        try ipvs.startDaemon(SyncDaemon(state: .master, interface: "lo", syncID: 7))
        try ipvs.startDaemon(SyncDaemon(state: .backup, interface: "lo", syncID: 9, maxLength: 1400, group: ip("239.1.2.3"), port: 9000, ttl: 3))
        let daemons = try ipvs.daemons()
        #expect(daemons.count == 2)
        let master = try #require(daemons.first { $0.state == .master })
        #expect(master.syncID == 7)
        #expect(master.interface == "lo")
        let backup = try #require(daemons.first { $0.state == .backup })
        #expect(backup.group == ip("239.1.2.3"))
        #expect(backup.port == 9000)
        #expect(backup.ttl == 3)
        #expect(backup.maxLength == 1400)
        let listing = try ns.ipvsadm("-L", "--daemon")
        #expect(listing.contains("master sync daemon (mcast=lo, syncid=7"))
        #expect(listing.contains("backup sync daemon (mcast=lo, syncid=9, maxlen=1400, group=239.1.2.3, port=9000, ttl=3)"))
        do throws(IPVSError) {
            try ipvs.startDaemon(SyncDaemon(state: .master, interface: "lo", syncID: 1))
            Issue.record("second master accepted")
        } catch {
            #expect(error.ipvsadmMessage == "Daemon has already run")
        }
        try ipvs.stopDaemon(.master)
        try ipvs.stopDaemon(.backup)
        #expect(try ipvs.daemons().isEmpty)
        do throws(IPVSError) {
            try ipvs.stopDaemon(.master)
            Issue.record("stopping a stopped daemon succeeded")
        } catch {
            #expect(error.ipvsadmMessage == "No daemon is running")
        }
    }

    @Test func namespacesHaveSeparateTables() throws {
        let a = try TestNamespace("nsa")
        let b = try TestNamespace("nsb")
        let key = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        try a.client().addService(Service(key: key, scheduler: "rr"))
        #expect(try a.client().services().count == 1)
        #expect(try b.client().services().isEmpty)
        #expect(try b.ipvsadm("-Sn") == "")
        #expect(try a.ipvsadm("-Sn") == "-A -t 10.0.0.1:80 -s rr\n")
        // By /proc path too.
        // `ip netns exec` enters the namespace and execs, so the process it starts keeps its pid.
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/sbin/ip")
        sleeper.arguments = ["netns", "exec", a.name, "sleep", "600"]
        try launch(sleeper)
        defer { kill(sleeper.processIdentifier, SIGKILL) }
        let pid = sleeper.processIdentifier
        // Wait until the exec has happened (the process then runs sleep inside the namespace).
        for _ in 0..<100 where (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) != "sleep\n" { usleep(50_000) }
        let viaProc = try IPVSClient(networkNamespace: "/proc/\(pid)/ns/net")
        #expect(try viaProc.services().map(\.key) == [key])
    }

    @Test func missingNamespaceIsAClearError() throws {
        do throws(IPVSError) {
            _ = try IPVSClient(networkNamespace: "no-such-namespace-x")
            Issue.record("client created in a missing namespace")
        } catch {
            #expect(error.description.contains("/var/run/netns/no-such-namespace-x"))
            #expect(error.errno == ENOENT)
        }
    }
}
