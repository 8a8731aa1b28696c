import IPVSKit
import Testing
@testable import KeepalivedConfig

@Suite struct RealServerTests {
    @Test func everyKeyword() throws {
        let vs = try #require(singleVS(vsConfig("", """
            real_server 10.0.0.2 80 {
                weight 0
                lvs_method TUN type gre csum
                uthreshold 100
                lthreshold 10
                inhibit_on_failure
                notify_up "/usr/local/bin/up.sh 'x y'" root:wheel
                notify_down '/usr/local/bin/down.sh' nobody nogroup
                alpha off
                retry 3
                delay_before_retry 2
                warmup 4
                connect_timeout 1.5
                delay_loop 10
                smtp_alert no
                virtualhost rs.example.com
                snmp_name rs1
                rise 3
                fall 5
                drain_timeout 12.5
            }
            """)))
        let rs = try #require(vs.realServers.first)
        #expect(rs.weight == 0)
        #expect(rs.method == LVSMethod(forwarding: .tunnel, tunnel: TunnelSettings(type: .gre, checksum: .checksum)))
        #expect(rs.upperThreshold == 100 && rs.lowerThreshold == 10)
        #expect(rs.inhibitOnFailure)
        #expect(rs.notifyUp?.arguments == ["/usr/local/bin/up.sh", "x y"])
        #expect(rs.notifyUp?.user == "root" && rs.notifyUp?.group == "wheel")
        #expect(rs.notifyDown?.arguments == ["/usr/local/bin/down.sh"])
        #expect(rs.notifyDown?.user == "nobody" && rs.notifyDown?.group == "nogroup")
        #expect(rs.alpha == false)
        #expect(rs.retry == 3)
        #expect(rs.delayBeforeRetry == .seconds(2))
        #expect(rs.warmup == .seconds(4))
        #expect(rs.connectTimeout == .milliseconds(1500))
        #expect(rs.delayLoop == .seconds(10))
        #expect(rs.smtpAlert == false)
        #expect(rs.virtualhost == "rs.example.com")
        #expect(rs.snmpName == "rs1")
        #expect(rs.rise == 3 && rs.fall == 5)
        #expect(rs.drainTimeout == .milliseconds(12500))
        #expect(rs.location.line == 5)
    }

    @Test func optionalBoolForms() {
        for (word, expected) in [("", true), ("on", true), ("yes", true), ("true", true), ("off", false), ("no", false), ("false", false)] {
            let vs = singleVS(vsConfig("", "real_server 10.0.0.2 80 {\n inhibit_on_failure \(word)\n alpha \(word)\n}"))
            #expect(vs?.realServers.first?.inhibitOnFailure == expected, "\(word)")
            #expect(vs?.realServers.first?.alpha == expected, "\(word)")
        }
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\n alpha 1\n}")).hasErrors)
    }

    @Test func weightRange() {
        #expect(singleVS(vsConfig("", "real_server 10.0.0.2 80 {\n weight 2147483647\n}"))?.realServers.first?.weight == Int32.max)
        for bad in ["-1", "2147483648", "1.5", "ten"] {
            let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\n weight \(bad)\n}"))
            let error = result.errors.first
            #expect(error?.location.line == 6, "\(bad)")
            #expect(error?.message.contains("'\(bad)'") == true && error?.message.contains("weight") == true, "\(bad)")
        }
    }

    @Test func badAddressesArePinpointed() {
        let result = parse(vsConfig("", "real_server 10.0.0.256 80 {\n}\nreal_server 10.0.0.3 80 {\n}"))
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.location.line == 5)
        #expect(result.errors.first?.message.contains("10.0.0.256") == true)
        #expect(result.configuration.virtualServers.first?.realServers.map(\.address) == [ip("10.0.0.3")])
    }

    @Test func riseBelowOneIsRejected() {
        let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\n rise 0\n}"))
        #expect(result.errors.first?.location.line == 6)
        #expect(result.errors.first?.message.contains("rise") == true)
    }
}

@Suite struct PortRuleTests {
    @Test func natWithoutPortTakesTheVirtualServerPort() {
        let vs = singleVS("virtual_server 10.0.0.1 8080 {\n protocol TCP\n lvs_method NAT\n real_server 10.0.1.1 {\n }\n real_server 10.0.1.2 80 {\n }\n}")
        #expect(vs?.realServers.map(\.port) == [8080, 80])
    }

    @Test func directRoutingPortsAreForcedWithAWarning() {
        let result = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method DR\n real_server 10.0.1.1 8080 {\n }\n real_server 10.0.1.2 {\n }\n}")
        #expect(result.configuration.virtualServers.first?.realServers.map(\.port) == [80, 80])
        let warnings = result.warnings.filter { $0.kind == .adjusted }
        #expect(warnings.count == 1)
        #expect(warnings.first?.location.line == 4)
    }

    @Test func fwmarkClearsThePortOfNonNATRealServers() {
        let vs = singleVS("virtual_server fwmark 3 {\n lvs_method DR\n real_server 10.0.1.1 80 {\n }\n real_server 10.0.1.2 81 {\n  lvs_method NAT\n }\n}")
        #expect(vs?.realServers.map(\.port) == [0, 81])
        #expect(vs?.realServers.first?.key == DestinationKey(address: ip("10.0.1.1"), port: 0))
    }

    @Test func checkerWithoutAPortIsWarnedAbout() throws {
        let result = parse("virtual_server fwmark 3 {\n lvs_method DR\n real_server 10.0.1.1 {\n  TCP_CHECK {\n  }\n  TCP_CHECK {\n   connect_port 443\n  }\n }\n}")
        let warnings = result.messages(containing: "connect_port")
        #expect(warnings.map(\.location.line) == [4])
        let vs = try #require(result.configuration.virtualServers.first)
        let rs = try #require(vs.realServers.first)
        #expect(rs.checkers[1].target(of: rs) == (ip("10.0.1.1"), 443))
    }

    @Test func duplicatesAreRemovedWithAWarning() {
        let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\n weight 1\n}\nreal_server 10.0.0.2 80 {\n weight 9\n}\nreal_server 10.0.0.2 {\n}"))
        let rs = result.configuration.virtualServers.first?.realServers ?? []
        #expect(rs.count == 1)
        #expect(rs.first?.weight == 1)
        let dupes = result.messages(containing: "duplicates")
        #expect(dupes.map(\.location.line) == [8, 11])
    }

    @Test func virtualServerWithoutRealServersIsDropped() {
        let result = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method DR\n}\nvirtual_server 10.0.0.1 81 {\n protocol TCP\n lvs_method DR\n real_server 10.0.0.2 81 {\n }\n}")
        #expect(result.configuration.virtualServers.count == 1)
        let warning = result.messages(containing: "has no real servers").first
        #expect(warning?.location.line == 1)
        #expect(warning?.severity == .warning)
        #expect(!result.hasErrors)
    }

    @Test func mixedFamiliesOnlyForTunnels() {
        let bad = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method DR\n real_server 2001:db8::2 80 {\n }\n real_server 10.0.0.2 80 {\n }\n}")
        #expect(bad.errors.first?.location.line == 4)
        let tun = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method TUN\n real_server 2001:db8::2 80 {\n }\n}")
        #expect(!tun.hasErrors)
    }

    @Test func duplicateVirtualServerIsIgnored() {
        let text = vsConfig() + "\n" + vsConfig()
        let result = parse(text)
        #expect(result.configuration.virtualServers.count == 1)
        #expect(result.messages(containing: "already defined").first?.location.line == 8)
    }

    @Test func quorumAndHysteresisAreClamped() {
        let result = parse(vsConfig("quorum 10\n hysteresis 20", "real_server 10.0.0.2 80 {\n weight 3\n}\nreal_server 10.0.0.3 80 {\n weight 2\n}"))
        let vs = result.configuration.virtualServers.first
        #expect(vs?.quorum == 5)
        #expect(vs?.hysteresis == 4)
        #expect(result.messages(containing: "quorum 10").count == 1)
    }
}
