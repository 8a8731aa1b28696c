import IPVSKit
import Testing

@Suite("Kernel: services")
struct KernelServiceTests {
    @Test func addListAndCrossCheckWithIpvsadm() throws {
        let ns = try TestNamespace("svc")
        let ipvs = try ns.client()
        let key = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        try ipvs.addService(Service(key: key, scheduler: "rr"))
        let services = try ipvs.services()
        #expect(services.count == 1)
        #expect(services.first?.key == key)
        #expect(services.first?.scheduler == "rr")
        #expect(try ns.ipvsadm("-Sn") == "-A -t 10.0.0.1:80 -s rr\n")
    }

    @Test func info() throws {
        let ns = try TestNamespace("info")
        let info = try ns.client().info()
        #expect(info.version == "1.2.1")
        #expect(info.connectionTableSize == 4096)
    }

    @Test func everySchedulerTheKernelHas() throws {
        let ns = try TestNamespace("sched")
        let ipvs = try ns.client()
        let schedulers = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"]
        for (i, s) in schedulers.enumerated() {
            try ipvs.addService(Service(key: .address(.tcp, ip("10.1.0.\(i + 1)"), port: 80), scheduler: s))
        }
        let read = try ipvs.services()
        #expect(Set(read.map(\.scheduler)) == Set(schedulers))
        let saved = try ns.ipvsadm("-Sn")
        for (i, s) in schedulers.enumerated() {
            #expect(saved.contains("-A -t 10.1.0.\(i + 1):80 -s \(s)\n"))
        }
    }

    @Test func ipv6ServiceWithPersistencePrefix() throws {
        let ns = try TestNamespace("v6")
        let ipvs = try ns.client()
        let key = ServiceKey.address(.udp, ip("2001:db8::1"), port: 53)
        try ipvs.addService(Service(key: key, scheduler: "wlc", persistenceTimeout: 600, netmask: 64))
        let s = try #require(try ipvs.service(key))
        #expect(s.flags.contains(.persistent))
        #expect(s.persistenceTimeout == 600)
        #expect(s.netmask == 64)
        #expect(try ns.ipvsadm("-Sn") == "-A -u [2001:db8::1]:53 -s wlc -p 600 -M 64\n")
    }

    @Test func firewallMarkServicesInBothFamilies() throws {
        let ns = try TestNamespace("fwm")
        let ipvs = try ns.client()
        try ipvs.addService(Service(key: .firewallMark(7, family: .inet), scheduler: "rr"))
        try ipvs.addService(Service(key: .firewallMark(8, family: .inet6), scheduler: "rr"))
        let keys = Set(try ipvs.services().map(\.key))
        #expect(keys == [.firewallMark(7, family: .inet), .firewallMark(8, family: .inet6)])
        let saved = try ns.ipvsadm("-Sn")
        #expect(saved.contains("-A -f 7 -s rr\n"))
        #expect(saved.contains("-A -f 8 -6 -s rr\n"))
    }

    @Test func sctpAndOnePacketUDP() throws {
        let ns = try TestNamespace("sctp")
        let ipvs = try ns.client()
        try ipvs.addService(Service(key: .address(.sctp, ip("10.0.0.4"), port: 3868), scheduler: "rr"))
        try ipvs.addService(Service(key: .address(.udp, ip("10.0.0.5"), port: 514), scheduler: "rr", flags: [.onePacket]))
        let saved = try ns.ipvsadm("-Sn")
        #expect(saved.contains("-A --sctp-service 10.0.0.4:3868 -s rr\n"))
        #expect(saved.contains("-A -u 10.0.0.5:514 -s rr -o\n"))
        let ops = try #require(try ipvs.service(.address(.udp, ip("10.0.0.5"), port: 514)))
        #expect(ops.flags.contains(.onePacket))
    }

    @Test func schedulerFlags() throws {
        let ns = try TestNamespace("flags")
        let ipvs = try ns.client()
        try ipvs.addService(Service(key: .address(.tcp, ip("10.0.0.6"), port: 80), scheduler: "sh", flags: [.scheduler1, .scheduler2]))
        try ipvs.addService(Service(key: .address(.tcp, ip("10.0.0.7"), port: 80), scheduler: "mh", flags: [.scheduler2]))
        try ipvs.addService(Service(key: .address(.tcp, ip("10.0.0.8"), port: 80), scheduler: "rr", flags: [.scheduler3]))
        let listing = try ns.ipvsadm("-Ln")
        #expect(listing.contains("TCP  10.0.0.6:80 sh (sh-fallback,sh-port)"))
        #expect(listing.contains("TCP  10.0.0.7:80 mh (mh-port)"))
        #expect(listing.contains("TCP  10.0.0.8:80 rr (flag-3)"))
    }

    @Test func persistenceNetmaskAndEngine() throws {
        let ns = try TestNamespace("pe")
        let ipvs = try ns.client()
        let key = ServiceKey.address(.udp, ip("10.0.0.3"), port: 5060)
        try ipvs.addService(Service(key: key, scheduler: "rr", persistenceTimeout: 60, netmask: 0xFFFF_FF00, persistenceEngine: "sip"))
        let s = try #require(try ipvs.service(key))
        #expect(s.persistenceEngine == "sip")
        #expect(s.netmask == 0xFFFF_FF00)
        #expect(try ns.ipvsadm("-Sn") == "-A -u 10.0.0.3:5060 -s rr -p 60 -M 255.255.255.0 --pe sip\n")
    }

    @Test func editServiceInPlaceKeepsDestinations() throws {
        let ns = try TestNamespace("edit")
        let ipvs = try ns.client()
        let key = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        try ipvs.addService(Service(key: key, scheduler: "rr"))
        try ipvs.addDestination(Destination(address: ip("10.0.1.2"), port: 80), to: key)
        try ipvs.updateService(Service(key: key, scheduler: "wlc", persistenceTimeout: 300))
        let s = try #require(try ipvs.service(key))
        #expect(s.scheduler == "wlc")
        #expect(s.persistenceTimeout == 300)
        #expect(try ipvs.destinations(of: key).count == 1)
        #expect(try ns.ipvsadm("-Sn") == "-A -t 10.0.0.1:80 -s wlc -p 300\n-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 1\n")
    }

    @Test func deleteGetAndFlush() throws {
        let ns = try TestNamespace("del")
        let ipvs = try ns.client()
        let a = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        let b = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 443)
        try ipvs.addService(Service(key: a, scheduler: "rr"))
        try ipvs.addService(Service(key: b, scheduler: "rr"))
        try ipvs.deleteService(a)
        #expect(try ipvs.service(a) == nil)
        #expect(try ipvs.service(b) != nil)
        try ipvs.flush()
        #expect(try ipvs.services().isEmpty)
        #expect(try ns.ipvsadm("-Sn") == "")
    }

    @Test func zeroAllAndOne() throws {
        let ns = try TestNamespace("zero")
        let ipvs = try ns.client()
        let a = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        try ipvs.addService(Service(key: a, scheduler: "rr"))
        try ipvs.zero(a)
        try ipvs.zero()
        #expect(throws: IPVSError.kernel(command: .zero, errno: 3)) {
            try ipvs.zero(.address(.tcp, ip("10.0.0.9"), port: 80))
        }
    }
}
