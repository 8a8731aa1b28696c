import IPVSKit
import Testing

@Suite("Kernel: destinations")
struct KernelDestinationTests {
    let web = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)

    @Test func everyForwardingMethodAndTunnelType() throws {
        let ns = try TestNamespace("fwd")
        let ipvs = try ns.client()
        try ipvs.addService(Service(key: web, scheduler: "rr"))
        try ipvs.addDestination(Destination(address: ip("192.168.1.2"), port: 80, forwarding: .route, weight: 5), to: web)
        try ipvs.addDestination(Destination(address: ip("192.168.1.3"), port: 8080, forwarding: .masquerade, weight: 2), to: web)
        try ipvs.addDestination(Destination(address: ip("192.168.1.4"), port: 80, forwarding: .tunnel), to: web)
        try ipvs.addDestination(Destination(address: ip("192.168.1.5"), port: 80, forwarding: .tunnel, tunnel: TunnelSettings(type: .gue, port: 6080, checksum: .checksum)), to: web)
        try ipvs.addDestination(Destination(address: ip("192.168.1.6"), port: 80, forwarding: .tunnel, tunnel: TunnelSettings(type: .gue, port: 6081, checksum: .remote)), to: web)
        try ipvs.addDestination(Destination(address: ip("192.168.1.7"), port: 80, forwarding: .tunnel, tunnel: TunnelSettings(type: .gre, checksum: .checksum)), to: web)
        let saved = try ns.ipvsadm("-Sn")
        for line in [
            "-a -t 10.0.0.1:80 -r 192.168.1.2:80 -g -w 5",
            "-a -t 10.0.0.1:80 -r 192.168.1.3:8080 -m -w 2",
            "-a -t 10.0.0.1:80 -r 192.168.1.4:80 -i -w 1 --tun-type ipip",
            "-a -t 10.0.0.1:80 -r 192.168.1.5:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum",
            "-a -t 10.0.0.1:80 -r 192.168.1.6:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-remcsum",
            "-a -t 10.0.0.1:80 -r 192.168.1.7:80 -i -w 1 --tun-type gre --tun-csum",
        ] {
            #expect(saved.contains(line + "\n"), "missing: \(line)")
        }
        let dests = Dictionary(uniqueKeysWithValues: try ipvs.destinations(of: web).map { ($0.address, $0) })
        #expect(dests[ip("192.168.1.5")]?.tunnel == TunnelSettings(type: .gue, port: 6080, checksum: .checksum))
        #expect(dests[ip("192.168.1.7")]?.tunnel.type == .gre)
        #expect(dests[ip("192.168.1.3")]?.forwarding == .masquerade)
    }

    @Test func weightsAndThresholdsEditInPlace() throws {
        let ns = try TestNamespace("thr")
        let ipvs = try ns.client()
        try ipvs.addService(Service(key: web, scheduler: "wrr"))
        var d = Destination(address: ip("192.168.1.2"), port: 80, forwarding: .masquerade, weight: 1, upperThreshold: 100, lowerThreshold: 10)
        try ipvs.addDestination(d, to: web)
        d.weight = 0
        d.upperThreshold = 500
        d.lowerThreshold = 50
        try ipvs.updateDestination(d, in: web)
        let read = try #require(try ipvs.destinations(of: web).first)
        #expect(read.weight == 0)
        #expect(read.upperThreshold == 500)
        #expect(read.lowerThreshold == 50)
        let listing = try ns.ipvsadm("-Ln", "--thresholds")
        #expect(listing.contains("  -> 192.168.1.2:80               500        50         0          0         \n"))
    }

    @Test func deleteDestination() throws {
        let ns = try TestNamespace("ddel")
        let ipvs = try ns.client()
        try ipvs.addService(Service(key: web, scheduler: "rr"))
        try ipvs.addDestination(Destination(address: ip("192.168.1.2"), port: 80), to: web)
        try ipvs.addDestination(Destination(address: ip("192.168.1.3"), port: 80), to: web)
        try ipvs.deleteDestination(DestinationKey(address: ip("192.168.1.2"), port: 80), from: web)
        #expect(try ipvs.destinations(of: web).map(\.address) == [ip("192.168.1.3")])
        #expect(!(try ns.ipvsadm("-Sn")).contains("192.168.1.2"))
    }

    @Test func ipv6DestinationsAndMixedFamilyTunnel() throws {
        let ns = try TestNamespace("mixed")
        let ipvs = try ns.client()
        let v6 = ServiceKey.address(.tcp, ip("2001:db8::1"), port: 80)
        try ipvs.addService(Service(key: v6, scheduler: "rr"))
        try ipvs.addDestination(Destination(address: ip("2001:db8::10"), port: 80, forwarding: .masquerade), to: v6)
        try ipvs.addService(Service(key: web, scheduler: "rr"))
        // An IPv6 real server behind an IPv4 service is allowed only for tunnels.
        try ipvs.addDestination(Destination(address: ip("2001:db8::20"), port: 80, forwarding: .tunnel), to: web)
        #expect(try ipvs.destinations(of: web).first?.address == ip("2001:db8::20"))
        #expect(try ipvs.destinations(of: v6).first?.address == ip("2001:db8::10"))
        let saved = try ns.ipvsadm("-Sn")
        #expect(saved.contains("-a -t [2001:db8::1]:80 -r [2001:db8::10]:80 -m -w 1\n"))
        #expect(saved.contains("-a -t 10.0.0.1:80 -r [2001:db8::20]:80 -i -w 1 --tun-type ipip\n"))
        #expect(throws: IPVSError.self) {
            try ipvs.addDestination(Destination(address: ip("2001:db8::30"), port: 80, forwarding: .route), to: web)
        }
    }

    @Test func unknownServiceHasNoDestinations() throws {
        let ns = try TestNamespace("none")
        #expect(try ns.client().destinations(of: .address(.tcp, ip("10.9.9.9"), port: 1)).isEmpty)
    }

    @Test func fwmarkDestinationsWithoutPorts() throws {
        let ns = try TestNamespace("fwmd")
        let ipvs = try ns.client()
        let key = ServiceKey.firewallMark(42, family: .inet)
        try ipvs.addService(Service(key: key, scheduler: "wlc"))
        try ipvs.addDestination(Destination(address: ip("192.168.1.2"), port: 0, forwarding: .route, weight: 3), to: key)
        #expect(try ipvs.destinations(of: key).first?.weight == 3)
        let saved = try ns.stableIpvsadm("-Sn")
        #expect(saved == "-A -f 42 -s wlc\n-a -f 42 -r 192.168.1.2:0 -g -w 3\n", "\(saved)")
    }
}
