import Foundation
import IPVSKit
import Testing
@testable import KeepalivedConfig

@Suite struct VirtualServerTests {
    @Test func defaults() throws {
        let result = parse("virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}\n")
        let vs = try #require(result.configuration.virtualServers.first)
        #expect(vs.scheduler == "wlc")
        #expect(vs.method == .nat)
        #expect(vs.protocolType == .udp)
        #expect(vs.delayLoop == .seconds(60))
        #expect(vs.connectTimeout == .seconds(5))
        #expect(vs.quorum == 1)
        #expect(vs.hysteresis == 0)
        #expect(vs.defaultWeight == 1)
        #expect(vs.persistenceTimeout == nil)
        #expect(vs.realServers.first?.weight == 1)
        // Defaulting protocol and method warn, naming the virtual_server's line.
        let protocolWarning = try #require(result.messages(containing: "no 'protocol'").first)
        #expect(protocolWarning.severity == .warning && protocolWarning.location.line == 1)
        #expect(result.messages(containing: "no 'lvs_method'").count == 1)
        #expect(!result.hasErrors)
    }

    @Test func schedulers() {
        for scheduler in Defaults.schedulers {
            let vs = singleVS(vsConfig("lvs_sched \(scheduler)"))
            #expect(vs?.scheduler == scheduler)
        }
        let bad = parse(vsConfig("lvs_sched roundrobin"))
        let error = bad.errors.first
        #expect(error?.location.line == 4)
        #expect(error?.message.contains("'roundrobin'") == true)
        #expect(error?.message.contains("lvs_sched") == true)
        // Case-sensitive, as keepalived.
        #expect(parse(vsConfig("lvs_sched RR")).hasErrors)
    }

    @Test func deprecatedAliasesWarnWithLine() {
        let result = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\n")
        let vs = result.configuration.virtualServers.first
        #expect(vs?.scheduler == "rr")
        #expect(vs?.method.forwarding == .route)
        let deprecated = result.diagnostics.filter { $0.kind == .deprecated }
        #expect(deprecated.map(\.location.line) == [3, 4])
        #expect(deprecated.allSatisfy { $0.severity == .warning })
        #expect(!parse(vsConfig("lb_algo rr"), strict: true).hasErrors)
    }

    @Test func lvsMethods() throws {
        #expect(singleVS(vsConfig("lvs_method NAT"))?.method.forwarding == .masquerade)
        #expect(singleVS(vsConfig("lvs_method DR"))?.method.forwarding == .route)
        let tun = try #require(singleVS(vsConfig("lvs_method TUN type gue port 6080 csum")))
        #expect(tun.method.forwarding == .tunnel)
        #expect(tun.method.tunnel == TunnelSettings(type: .gue, port: 6080, checksum: .checksum))
        #expect(singleVS(vsConfig("lvs_method TUN type gre nocsum"))?.method.tunnel.type == .gre)
        #expect(singleVS(vsConfig("lvs_method TUN type gue port 1 remcsum"))?.method.tunnel.checksum == .remote)
        #expect(singleVS(vsConfig("lvs_method TUN"))?.method.tunnel == TunnelSettings())
        #expect(parse(vsConfig("lvs_method TUN type gue")).hasErrors)  // gue needs a port
        #expect(parse(vsConfig("lvs_method TUN type vxlan")).hasErrors)
        #expect(parse(vsConfig("lvs_method dr")).hasErrors)  // case-sensitive
        let fnat = parse(vsConfig("lvs_method FNAT"))
        #expect(fnat.errors.first?.message.contains("DPVS") == true)
        #expect(parse(vsConfig("laddr_group_name lg")).errors.first?.message.contains("DPVS") == true)
    }

    @Test func flagsAndSchedulerOrder() throws {
        let sh = try #require(singleVS(vsConfig("lvs_sched sh\n sh-port\n sh-fallback")))
        #expect(sh.flags == [.scheduler1, .scheduler2])
        let mh = try #require(singleVS(vsConfig("lvs_sched mh\n mh-port")))
        #expect(mh.flags == [.scheduler2])
        // Checked against the scheduler parsed so far: before lvs_sched it is still wlc.
        let early = parse(vsConfig("sh-port\n lvs_sched sh"))
        #expect(early.configuration.virtualServers.first?.flags == [])
        #expect(early.messages(containing: "sh-port").first?.location.line == 4)
        let wrong = parse(vsConfig("lvs_sched rr\n mh-fallback"))
        #expect(wrong.configuration.virtualServers.first?.flags == [])
        #expect(wrong.warnings.contains { $0.message.contains("mh-fallback") })
        let flags = try #require(singleVS(vsConfig("flag-1\n flag-2\n flag-3\n hashed")))
        #expect(flags.flags == [.scheduler1, .scheduler2, .scheduler3])
    }

    @Test func opsOnlyForUDP() throws {
        let udp = try #require(singleVS("virtual_server 10.0.0.1 53 {\n protocol UDP\n lvs_method DR\n ops\n real_server 10.0.0.2 53 {\n }\n}"))
        #expect(udp.flags.contains(.onePacket))
        let tcp = parse(vsConfig("ops"))
        #expect(tcp.configuration.virtualServers.first?.flags.contains(.onePacket) == false)
        #expect(tcp.warnings.contains { $0.message.contains("'ops' only applies to UDP") })
    }

    @Test func persistence() throws {
        #expect(singleVS(vsConfig("persistence_timeout"))?.persistenceTimeout == 360)
        #expect(singleVS(vsConfig("persistence_timeout 50"))?.persistenceTimeout == 50)
        let granular = try #require(singleVS(vsConfig("persistence_granularity 255.255.255.0")))
        #expect(granular.persistenceGranularity == 24)
        #expect(granular.persistenceTimeout == 360)  // implied
        #expect(singleVS(vsConfig("persistence_granularity 16"))?.persistenceGranularity == 16)
        #expect(parse(vsConfig("persistence_granularity 255.0.255.0")).hasErrors)
        #expect(parse(vsConfig("persistence_timeout abc")).hasErrors)
        #expect(singleVS(vsConfig("persistence_engine sip"))?.persistenceEngine == "sip")
        #expect(parse(vsConfig("persistence_engine http")).hasErrors)
    }

    @Test func protocolIsCaseInsensitiveAndIgnoredOnFwmark() {
        let vs = singleVS("virtual_server 10.0.0.1 80 {\n protocol sctp\n lvs_method DR\n real_server 10.0.0.2 80 {\n }\n}")
        #expect(vs?.protocolType == .sctp)
        #expect(parse(vsConfig("").replacingOccurrences(of: "protocol TCP", with: "protocol ICMP")).hasErrors)
        let mark = parse("virtual_server fwmark 5 {\n protocol TCP\n lvs_method DR\n real_server 10.0.0.2 80 {\n }\n}")
        #expect(mark.warnings.contains { $0.message.contains("ignored on a fwmark") })
        #expect(mark.messages(containing: "no 'protocol'").isEmpty)
    }

    @Test func everyOtherKeyword() throws {
        let vs = try #require(singleVS(vsConfig("""
            ip_family inet
            ha_suspend
            virtualhost www.example.com
            alpha
            omega
            quorum 2
            hysteresis 1
            quorum_up "/usr/bin/up.sh 'arg one'" nobody
            quorum_down /usr/bin/down.sh
            weight 5
            sorry_server 192.168.0.9 8080
            sorry_server_inhibit
            sorry_server_lvs_method NAT
            delay_loop 2.5
            connect_timeout 0.25
            retry 4
            delay_before_retry 7
            warmup 9
            inhibit_on_failure
            smtp_alert
            snmp_name vs1
            drain_timeout 30
            """, "real_server 10.0.0.2 80 {\n}\nreal_server 10.0.0.3 80 {\n}")))
        #expect(vs.family == .inet)
        #expect(vs.haSuspend && vs.alpha && vs.omega && vs.sorryServerInhibit && vs.inhibitOnFailure)
        #expect(vs.virtualhost == "www.example.com")
        #expect(vs.quorum == 2)
        #expect(vs.hysteresis == 1)
        #expect(vs.quorumUp?.arguments == ["/usr/bin/up.sh", "arg one"])
        #expect(vs.quorumUp?.user == "nobody")
        #expect(vs.quorumDown?.arguments == ["/usr/bin/down.sh"])
        #expect(vs.defaultWeight == 5)
        #expect(vs.realServers.map(\.weight) == [5, 5])
        #expect(vs.sorryServer?.address == ip("192.168.0.9"))
        #expect(vs.sorryServer?.port == 8080)
        #expect(vs.sorryServer?.method == .nat)
        #expect(vs.delayLoop == .milliseconds(2500))
        #expect(vs.connectTimeout == .milliseconds(250))
        #expect(vs.retry == 4)
        #expect(vs.delayBeforeRetry == .seconds(7))
        #expect(vs.warmup == .seconds(9))
        #expect(vs.smtpAlert == true)
        #expect(vs.snmpName == "vs1")
        #expect(vs.drainTimeout == .seconds(30))
        #expect(vs.realServers.allSatisfy { $0.inhibitOnFailure && $0.alpha && $0.drainTimeout == .seconds(30) })
    }

    @Test func natMaskIsObsoleteAndIgnored() {
        let result = parse(vsConfig("nat_mask 255.255.255.0"), strict: true)
        #expect(!result.hasErrors)
        let warning = result.diagnostics.first { $0.kind == .obsolete }
        #expect(warning?.location.line == 4)
        #expect(warning?.message.contains("nat_mask") == true)
    }

    @Test func virtualServerHeaders() throws {
        let mark = try #require(singleVS("virtual_server fwmark 7 {\n lvs_method DR\n real_server 10.0.0.2 {\n }\n}"))
        #expect(mark.address == .firewallMark(7))
        #expect(mark.family == .inet)
        let v6 = try #require(singleVS("virtual_server 2001:db8::1 443 {\n protocol TCP\n lvs_method DR\n real_server 2001:db8::2 443 {\n }\n}"))
        #expect(v6.address == .endpoint(ip("2001:db8::1"), port: 443))
        let errors: [String] = [
            "virtual_server 10.0.0.300 80 {\n}",
            "virtual_server 10.0.0.1 65536 {\n}",
            "virtual_server fwmark x {\n}",
            "virtual_server fwmark {\n}",
            "virtual_server {\n}",
            "virtual_server 10.0.0.1 80\n",
            "virtual_server group MISSING {\n lvs_method DR\n real_server 10.0.0.2 80 {\n }\n}",
        ]
        for text in errors {
            let result = parse(text)
            #expect(result.hasErrors, "\(text)")
            #expect(result.errors.first?.location.line == 1, "\(text)")
            #expect(result.configuration.virtualServers.isEmpty, "\(text)")
        }
        let port = parse("virtual_server 10.0.0.1 65536 {\n}")
        #expect(port.errors.first?.message.contains("'65536'") == true)
    }

    @Test func invalidValuesNameKeywordValueAndLine() {
        let cases: [(String, String)] = [
            ("weight -1", "weight"), ("weight 2147483648", "weight"), ("quorum 0", "quorum"),
            ("delay_loop 1.1234567", "delay_loop"), ("delay_loop x", "delay_loop"), ("ip_family inet4", "ip_family"),
            ("sorry_server 1.2.3 80", "sorry_server"), ("sorry_server 1.2.3.4 99999", "sorry_server"),
            ("retry 0", "retry"), ("smtp_alert maybe", "smtp_alert"), ("hysteresis -2", "hysteresis"),
        ]
        for (line, keyword) in cases {
            let result = parse(vsConfig(line))
            let error = result.errors.first
            #expect(error?.location == ConfigLocation(file: "test.conf", line: 4), "\(line)")
            #expect(error?.message.contains(keyword) == true, "\(line): \(String(describing: error))")
            #expect(error?.kind == .invalidValue || error?.kind == .syntax, "\(line)")
        }
    }

    @Test func unknownKeywordWarnsAndSkipsItsBlock() throws {
        let text = vsConfig("frobnicate 1 {\n weight 99\n real_server 10.9.9.9 80 {\n }\n }")
        let result = parse(text)
        #expect(!result.hasErrors)
        let warning = try #require(result.diagnostics.first { $0.kind == .unknownKeyword })
        #expect(warning.severity == .warning)
        #expect(warning.location.line == 4)
        #expect(warning.message.contains("frobnicate"))
        let vs = try #require(result.configuration.virtualServers.first)
        #expect(vs.realServers.map(\.address) == [ip("10.0.0.2")])  // the skipped block's real server is not used
        #expect(vs.defaultWeight == 1)
        let strict = parse(text, strict: true)
        #expect(strict.hasErrors)
        #expect(strict.errors.first?.message.contains("frobnicate") == true)
    }

    @Test func sorryServerOnlyIsKeptAndSorryMethodDefaults() throws {
        let vs = try #require(singleVS("virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method DR\n sorry_server 10.0.0.9\n}"))
        #expect(vs.realServers.isEmpty)
        #expect(vs.sorryServer?.port == 80)
        let orphan = parse(vsConfig("sorry_server_lvs_method DR"))
        #expect(orphan.warnings.contains { $0.message.contains("sorry_server_lvs_method") && $0.location.line == 4 })
        // Either order works.
        let before = singleVS(vsConfig("sorry_server_lvs_method NAT\n sorry_server 10.0.0.9 8080"))
        #expect(before?.sorryServer?.method == .nat)
        #expect(before?.sorryServer?.port == 8080)
    }
}

@Suite struct TimerRuleTests {
    @Test func zeroDelayLoopAndConnectTimeoutAreRejectedEverywhere() {
        for line in ["delay_loop 0", "connect_timeout 0.000000"] {
            #expect(parse(vsConfig(line)).errors.first?.location.line == 4, "\(line)")
            #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\n\(line)\n}")).errors.first?.location.line == 6, "\(line)")
            #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nTCP_CHECK {\n\(line)\n}\n}")).errors.first?.location.line == 7, "\(line)")
        }
        #expect(!parse(vsConfig("delay_loop 0.000001")).hasErrors)
    }

    @Test func flushOnStopOldSpellingIsDeprecated() {
        let result = parse("global_defs {\n lvs_flush_onstop\n}", strict: true)
        #expect(!result.hasErrors)
        #expect(result.configuration.globalDefinitions.lvsFlushOnStop == .all)
        #expect(result.diagnostics.first?.kind == .deprecated)
    }
}
