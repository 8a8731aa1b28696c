import Foundation
import IPVSKit
import Testing
@testable import KeepalivedConfig

@Suite struct VirtualServerGroupTests {
    @Test func entryForms() throws {
        let result = parse("""
            virtual_server_group G {
                10.0.0.1 80
                10.0.0.10-12 443
                10.0.1.0/30
                10.0.2.1-10.0.2.3 8080
                2001:db8::1 53
                fwmark 7
                fwmark 8 inet6
            }
            """, strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let group = try #require(result.configuration.group(named: "G"))
        #expect(group.entries.count == 7)
        #expect(group.entries[0].target == .addresses(first: ip("10.0.0.1"), last: ip("10.0.0.1")))
        #expect(group.entries[0].port == 80)
        #expect(group.entries[1].target == .addresses(first: ip("10.0.0.10"), last: ip("10.0.0.12")))
        #expect(group.entries[2].target == .addresses(first: ip("10.0.1.0"), last: ip("10.0.1.3")))
        #expect(group.entries[2].port == 0)
        #expect(group.entries[3].target == .addresses(first: ip("10.0.2.1"), last: ip("10.0.2.3")))
        #expect(group.entries[5].target == .firewallMark(7, family: nil))
        #expect(group.entries[6].target == .firewallMark(8, family: .inet6))
        #expect(group.entries[6].location.line == 8)
    }

    @Test func invalidEntriesNameTheLine() {
        for (entry, fragment) in [("10.0.0.1/24", "host bits"), ("10.0.0.20-10", "below"), ("10.0.0.1-300", "10.0.0.1-300"),
                                  ("10.0.0 80", "10.0.0"), ("10.0.0.1 70000", "70000"), ("fwmark", "fwmark"),
                                  ("fwmark 1 inet5", "inet5"), ("10.0.0.0/8", "more than")] {
            let result = parse("virtual_server_group G {\n\(entry)\n}")
            #expect(result.errors.first?.location.line == 2, "\(entry)")
            #expect(result.errors.first?.message.contains(fragment) == true, "\(entry): \(result.errors)")
        }
    }

    @Test func emptyGroupAndItsVirtualServerAreDropped() {
        let result = parse("virtual_server_group E {\n}\nvirtual_server group E {\n protocol TCP\n lvs_method DR\n real_server 10.0.0.2 80 {\n }\n}")
        #expect(result.configuration.virtualServers.isEmpty)
        #expect(result.warnings.contains { $0.location.line == 1 })
        #expect(result.warnings.contains { $0.location.line == 3 })
    }

    @Test func groupDefinedTwiceIsAnError() {
        let result = parse("virtual_server_group G {\n 10.0.0.1 80\n}\nvirtual_server_group G {\n 10.0.0.2 80\n}")
        #expect(result.errors.first?.location.line == 4)
    }
}

@Suite struct IPVSMappingTests {
    @Test func addressServiceWithDestinations() throws {
        let result = parse("""
            virtual_server 10.0.0.1 80 {
                protocol TCP
                lvs_sched sh
                sh-port
                lvs_method NAT
                persistence_timeout 300
                persistence_granularity 24
                real_server 10.0.1.1 8080 {
                    weight 3
                    uthreshold 100
                    lthreshold 5
                }
                real_server 10.0.1.2 {
                    lvs_method TUN type gue port 5555 csum
                }
            }
            """)
        let entries = IPVSMapping.entries(for: result.configuration)
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.service.key == .address(.tcp, ip("10.0.0.1"), port: 80))
        #expect(entry.service.scheduler == "sh")
        #expect(entry.service.flags == [.persistent, .scheduler2])
        #expect(entry.service.persistenceTimeout == 300)
        #expect(entry.service.netmask == 0xFFFF_FF00)
        #expect(entry.destinations.count == 2)
        let first = entry.destinations[0]
        #expect(first.address == ip("10.0.1.1") && first.port == 8080 && first.forwarding == .masquerade)
        #expect(first.weight == 3 && first.upperThreshold == 100 && first.lowerThreshold == 5)
        let second = entry.destinations[1]
        #expect(second.port == 80 && second.forwarding == .tunnel && second.weight == 1)
        #expect(second.tunnel == TunnelSettings(type: .gue, port: 5555, checksum: .checksum))
    }

    @Test func nonPersistentServiceUsesHostMask() throws {
        let vs = try #require(singleVS(vsConfig()))
        let entries = IPVSMapping.entries(for: vs, in: KeepalivedConfiguration(virtualServers: [vs]))
        #expect(entries.first?.service.flags == [])
        #expect(entries.first?.service.persistenceTimeout == 0)
        #expect(entries.first?.service.netmask == 0xFFFF_FFFF)
        #expect(entries.first?.destinations.first?.forwarding == .route)
    }

    @Test func firewallMarkService() throws {
        let result = parse("virtual_server fwmark 9 {\n lvs_method DR\n ip_family inet6\n persistence_granularity 64\n real_server 2001:db8::2 443 {\n }\n}")
        let entry = try #require(IPVSMapping.entries(for: result.configuration).first)
        #expect(entry.service.key == .firewallMark(9, family: .inet6))
        #expect(entry.service.netmask == 64)
        #expect(entry.destinations.first?.port == 0)
    }

    @Test func groupExpansion() throws {
        let result = parse("""
            virtual_server_group WEB {
                10.0.0.1-3 80
                192.168.0.0/31 8080
                fwmark 5
            }
            virtual_server group WEB {
                protocol TCP
                lvs_method DR
                lvs_sched rr
                real_server 10.0.1.1 {
                }
                real_server 10.0.1.2 9999 {
                    lvs_method NAT
                }
                real_server 10.0.1.3 {
                    lvs_method NAT
                }
            }
            """)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let entries = IPVSMapping.entries(for: result.configuration)
        #expect(entries.map(\.service.key) == [
            .address(.tcp, ip("10.0.0.1"), port: 80), .address(.tcp, ip("10.0.0.2"), port: 80),
            .address(.tcp, ip("10.0.0.3"), port: 80), .address(.tcp, ip("192.168.0.0"), port: 8080),
            .address(.tcp, ip("192.168.0.1"), port: 8080), .firewallMark(5, family: .inet),
        ])
        #expect(entries.allSatisfy { $0.service.scheduler == "rr" && $0.destinations.count == 3 })
        // DR takes each service's port; NAT keeps a given port, else takes the service's; fwmark DR has none.
        #expect(entries[0].destinations.map(\.port) == [80, 9999, 80])
        #expect(entries[3].destinations.map(\.port) == [8080, 9999, 8080])
        #expect(entries[5].destinations.map(\.port) == [0, 9999, 0])
    }

    @Test func sorryServerDestination() throws {
        let result = parse(vsConfig("sorry_server 10.9.9.9 8080\n sorry_server_inhibit"))
        let vs = try #require(result.configuration.virtualServers.first)
        let key = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        let sorry = try #require(IPVSMapping.sorryDestination(for: vs, in: key))
        #expect(sorry.address == ip("10.9.9.9"))
        #expect(sorry.port == 80)  // DR: the service's port
        #expect(sorry.weight == 0)
        #expect(IPVSMapping.entries(for: vs, in: result.configuration).first?.destinations.contains { $0.address == ip("10.9.9.9") } == false)
    }

    @Test func rangeExpansion() {
        #expect(IPVSMapping.expand(ip("10.0.0.254"), ip("10.0.1.1")).map(\.description) == ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"])
        #expect(IPVSMapping.expand(ip("2001:db8::fffe"), ip("2001:db8::1:0")).count == 3)
        #expect(IPVSMapping.expand(ip("10.0.0.2"), ip("10.0.0.1")).isEmpty)
        #expect(IPVSMapping.expand(ip("10.0.0.0"), ip("10.255.255.255")).count == IPVSMapping.maximumRangeSize)
    }
}

@Suite struct EqualityTests {
    @Test func modelsCompareByContentNotPosition() throws {
        let body = "virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method DR\n quorum_up /bin/up\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n }\n}\n"
        let a = try #require(parse(body).configuration.virtualServers.first)
        let moved = try #require(parse("\n\n\n# moved down\n" + body, file: "other.conf").configuration.virtualServers.first)
        #expect(a.location != moved.location)
        #expect(a == moved)
        #expect(a.hashValue == moved.hashValue)
        #expect(a.realServers[0].checkers[0] == moved.realServers[0].checkers[0])
        let changed = try #require(parse(body.replacingOccurrences(of: "path /", with: "path /x")).configuration.virtualServers.first)
        #expect(a != changed)
        #expect(a.realServers[0].checkers[0] != changed.realServers[0].checkers[0])
    }
}
