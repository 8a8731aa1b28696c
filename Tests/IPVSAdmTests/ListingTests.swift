import IPVSAdm
import IPVSKit
import Testing

struct ListingTests {
    let info = Info(versionCode: 0x010201, connectionTableSize: 4096)

    func svc(_ k: ServiceKey, _ sched: String = "wlc", flags: ServiceFlags = [], timeout: UInt32 = 0) -> Service {
        var s = Service(key: k, scheduler: sched, persistenceTimeout: timeout)
        s.flags = flags
        return s
    }

    @Test func defaultListingWithTrailingSpaces() {
        let k = ServiceKey.address(.tcp, .v4(0x0A00_0001), port: 80)
        let d = Destination(address: .v4(0xC0A8_0102), port: 80, forwarding: .route, weight: 1, activeConnections: 3, inactiveConnections: 12)
        let out = Lister(format: .numeric, resolver: NumericResolver())
            .all([ServiceEntry(service: svc(k, flags: .persistent, timeout: 360), destinations: [d])], info: info)
        #expect(out == """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
            TCP  10.0.0.1:80 wlc persistent 360
              -> 192.168.1.2:80               Route   1      3          12        \n
            """)
    }

    @Test func largeNumbers() {
        #expect(CFormatProbe.large(99_999_999) == " 99999999")
        #expect(CFormatProbe.large(123_456_789) == "  123456K")
        #expect(CFormatProbe.large(5_000_000_000) == "    5000M")
        #expect(CFormatProbe.large(99_999_999_999_999) == "   99999G")
        #expect(CFormatProbe.large(100_000_000_000_000) == "     100T")
        #expect(CFormatProbe.large(123_456_789, exact: true) == " 123456789")
        #expect(CFormatProbe.large(5, exact: true) == "        5")
    }

    @Test func statsTruncateDestinationCountersTo32Bits() {
        let k = ServiceKey.address(.udp, .v4(0x0A00_0001), port: 53)
        var s = svc(k)
        s.stats.connections = 1 << 33
        var d = Destination(address: .v4(0x0A00_0002), port: 53, forwarding: .masquerade)
        d.stats.connections = (1 << 32) + 7
        d.stats.inBytes = 1 << 40
        let out = Lister(format: [.numeric, .stats, .exact], resolver: NumericResolver()).one(ServiceEntry(service: s, destinations: [d]))
        let lines = out.split(separator: "\n")
        #expect(lines[2] == "UDP  10.0.0.1:53" + String(repeating: " ", count: 18) + "8589934592        0        0        0        0")
        #expect(lines[3] == "  -> 10.0.0.2:53" + String(repeating: " ", count: 25) + "7        0        0 1099511627776        0")
    }

    @Test func sortReproducesWraparound() {
        // Recorded from ipvsadm -Ln: marks 2^31 apart compare backwards (int subtraction) and glibc's merge sort
        // puts 0xFFFFFFFF first and 0x80000000 last.
        // Input in the kernel's dump order, expected output as ipvsadm printed it for the same table.
        let entries = [
            svc(.address(.tcp, .v6(0x2001_0db8_0000_0000, 1), port: 80)),
            svc(.address(.udp, .v4(0x0A00_0002), port: 53)),
            svc(.address(.tcp, .v4(0x0A00_0007), port: 80)),
            svc(.address(.tcp, .v4(0x0A00_0007), port: 82)),
            svc(.address(.tcp, .v6(0, 1), port: 80)),
            svc(.address(.tcp, .v4(0x0A00_0001), port: 80)),
            svc(.firewallMark(0xFFFF_FFFF, family: .inet)),
            svc(.firewallMark(0x8000_0000, family: .inet)),
            svc(.firewallMark(5, family: .inet6)),
        ]
        let out = Lister(format: .numeric, resolver: NumericResolver()).all(entries.map { ServiceEntry(service: $0, destinations: []) }, info: info)
        let names = out.split(separator: "\n").dropFirst(3).map { String($0) }
        #expect(names == [
            "FWM  -1 wlc", "TCP  10.0.0.1:80 wlc", "TCP  10.0.0.7:80 wlc", "TCP  10.0.0.7:82 wlc", "UDP  10.0.0.2:53 wlc",
            "TCP  [::1]:80 wlc", "TCP  [2001:db8::1]:80 wlc", "FWM  5 IPv6 wlc", "FWM  -2147483648 wlc",
        ])
    }

    @Test func truncatesLongNames() {
        struct LongNames: NameResolver {
            func ipv4Address(forHost name: String) -> IPAddress? { nil }
            func hostName(for address: IPAddress) -> String? { "a-very-long-host-name.example.org" }
            func port(forService name: String, protocol: UInt16) -> UInt16? { nil }
            func serviceName(forPort port: UInt16, protocol: UInt16) -> String? { "http" }
        }
        let k = ServiceKey.address(.tcp, .v4(0x0A00_0001), port: 80)
        let d = Destination(address: .v4(0x0A00_0002), port: 80)
        let out = Lister(format: [], resolver: LongNames()).one(ServiceEntry(service: svc(k, "rr"), destinations: [d]))
        let lines = out.split(separator: "\n")
        #expect(lines[2] == "TCP  a-very-long-host-name.exampl rr")  // 33 bytes, then the scheduler
        #expect(lines[3] == "  -> a-very-long-host-name.exampl Route   1      0          0         ")  // 28 bytes
    }

    @Test func saveFormat() {
        let k = ServiceKey.address(.udp, .v6(0x2001_0db8_0000_0000, 1), port: 53)
        var s = svc(k, "sh", flags: [.persistent, .scheduler1, .scheduler2], timeout: 100)
        s.netmask = 48
        s.persistenceEngine = "sip"
        let gue = Destination(address: .v6(0x2001_0db8_0000_0000, 9), port: 53, forwarding: .tunnel,
                              tunnel: TunnelSettings(type: .gue, port: 6000, checksum: .checksum))
        let out = Lister(format: [.rule, .numeric], resolver: NumericResolver()).all([ServiceEntry(service: s, destinations: [gue])], info: info)
        #expect(out == """
            -A -u [2001:db8::1]:53 -s sh -p 100 -M 48 --pe sip -b sh-fallback,sh-port
            -a -u [2001:db8::1]:53 -r [2001:db8::9]:53 -i -w 1 --tun-type gue --tun-port 6000 --tun-csum\n
            """)
    }

    @Test func timeoutsAndDaemons() {
        #expect(Lister.timeouts(Timeouts(tcp: 900, tcpFin: 120, udp: 300)) == "Timeout (tcp tcpfin udp): 900 120 300\n")
        let d = SyncDaemon(state: .master, interface: "eth0", syncID: 0, maxLength: 1472, group: .v4(0xE000_0051), port: 8848, ttl: 1)
        #expect(Lister.daemons([d]) == "master sync daemon (mcast=eth0, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n")
    }

    @Test func connections() {
        let proc = """
            Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
            TCP 0A000002 C350 0A000001 0050 0A000003 0050 ESTABLISHED     899
            UDP 2001:0db8:0000:0000:0000:0000:0000:0002 1000 2001:0db8:0000:0000:0000:0000:0000:0001 0035 2001:0db8:0000:0000:0000:0000:0000:0009 0035 UDP             61\n
            """
        let out = ConnectionLister(format: .numeric, resolver: NumericResolver()).render(proc)
        #expect(out == """
            IPVS connection entries
            pro expire state       source             virtual            destination
            TCP 14:59  ESTABLISHED 10.0.0.2:50000     10.0.0.1:80        10.0.0.3:80
            UDP 01:01  UDP         [2001:db8::2]:4096 [2001:db8::1]:53   [2001:db8::9]:53\n
            """)
    }

    @Test func jsonKeepsExactCounters() {
        var s = svc(.firewallMark(7, family: .inet))
        s.stats.inBytes = UInt64.max
        let json = JSONListing.table([ServiceEntry(service: s, destinations: [])], info: info)
        #expect(json.contains("\"inBytes\":18446744073709551615"))
        #expect(json.hasPrefix("{\"version\":\"1.2.1\",\"connectionTableSize\":4096,\"services\":[{\"family\":\"inet\",\"fwmark\":7,"))
    }
}
