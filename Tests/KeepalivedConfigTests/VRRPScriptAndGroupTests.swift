import IPVSKit
import Testing
@testable import KeepalivedConfig

@Suite struct VRRPScriptTests {
    /// A script `chk` (lines 1-...) used by VI_1 so that it is not reported as unused.
    private func scriptConfig(_ body: String) -> String {
        "vrrp_script chk {\n\(body)\n}\n" + vrrpConfig("track_script {\n chk\n}")
    }

    @Test func defaults() throws {
        let result = parse(scriptConfig("script \"/usr/bin/killall -0 nginx\""), strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let script = try #require(result.configuration.vrrp.script(named: "chk"))
        #expect(script.location.line == 1)
        #expect(script.script.arguments == ["/usr/bin/killall", "-0", "nginx"] && script.script.user == nil)
        #expect(script.interval == .seconds(1) && script.timeout == nil && script.effectiveTimeout == .seconds(1))
        #expect(script.weight == 0 && !script.weightReverse && script.rise == 1 && script.fall == 1 && !script.initFail)
    }

    @Test func everyKeyword() throws {
        let body = """
            script /usr/local/bin/check.sh fast
            interval 2
            timeout 5
            weight -20 reverse
            rise 3
            fall 2
            user nobody nogroup
            init_fail
            """
        let script = try #require(parse(scriptConfig(body), strict: true).configuration.vrrp.script(named: "chk"))
        #expect(script.script.arguments == ["/usr/local/bin/check.sh", "fast"])
        #expect(script.script.user == "nobody" && script.script.group == "nogroup")
        #expect(script.interval == .seconds(2) && script.effectiveTimeout == .seconds(5))
        #expect(script.weight == -20 && script.weightReverse && script.rise == 3 && script.fall == 2 && script.initFail)
    }

    @Test func rangesAndGarbage() throws {
        let body = """
            script /bin/true
            interval 0
            timeout 1.5
            weight 254
            weight 10 sideways
            rise 0
            fall x
            """
        let result = parse(scriptConfig(body))
        let script = try #require(result.configuration.vrrp.script(named: "chk"))
        #expect(result.at(3, "vrrp script interval must be greater than 0, setting to 1").first?.severity == .warning)
        #expect(script.interval == .seconds(1))
        #expect(result.at(4, "'timeout'").first?.severity == .error)
        #expect(script.timeout == nil)
        #expect(result.at(5, "weight 254 must be in [-253, 253]").first?.severity == .error)
        #expect(result.at(6, "unknown weight option sideways").first?.severity == .warning)
        #expect(script.weight == 10 && !script.weightReverse)
        #expect(result.at(7, "'rise'").first?.severity == .error)
        #expect(result.at(8, "'fall'").first?.severity == .error)
        #expect(script.rise == 1 && script.fall == 1)
    }

    @Test func scriptIsRequiredAndUnknownKeywordsWarn() {
        let result = parse(scriptConfig("interval 2\nintervall 3"))
        #expect(result.configuration.vrrp.scripts.isEmpty)
        #expect(result.at(1, "no script set for vrrp_script chk - removing it").first?.severity == .warning)
        #expect(result.at(3, "unknown keyword 'intervall' in vrrp_script").first?.kind == .unknownKeyword)
        // The instance then tracks nothing.
        #expect(result.singleInstance()?.trackScripts.isEmpty == true)
        #expect(result.diagnostics.contains { $0.message.contains("track script chk not found") })
    }

    @Test func unusedScriptIsReported() {
        let result = parse("vrrp_script lonely {\n script /bin/true\n}\n" + vrrpConfig())
        #expect(result.at(1, "vrrp_script lonely is not used").first?.severity == .warning)
    }
}

@Suite struct VRRPSyncGroupTests {
    private func instance(_ name: String, vrid: Int, state: String = "BACKUP", priority: Int = 100) -> String {
        "vrrp_instance \(name) {\n interface eth0\n state \(state)\n priority \(priority)\n virtual_router_id \(vrid)\n virtual_ipaddress {\n 10.0.0.\(vrid)\n }\n}"
    }

    @Test func membersNotifiesAndTracking() throws {
        let text = """
            vrrp_script chk {
                script /bin/true
            }
            vrrp_sync_group G1 {
                group {
                    VI_A
                    VI_B
                }
                notify_master "/bin/g master"
                notify_backup /bin/gb
                notify_fault /bin/gf
                notify_stop /bin/gs
                notify /bin/gn
                smtp_alert
                sync_group_tracking_weight
                track_script {
                    chk weight 10
                }
                track_interface {
                    eth9
                }
            }
            """ + "\n" + instance("VI_A", vrid: 1) + "\n" + instance("VI_B", vrid: 2)
        let result = parse(text, strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let group = try #require(result.configuration.vrrp.syncGroup(named: "G1"))
        #expect(group.members == ["VI_A", "VI_B"] && group.location.line == 4)
        #expect(group.notifyMaster?.arguments == ["/bin/g", "master"] && group.notify?.path == "/bin/gn")
        #expect(group.notifyBackup?.path == "/bin/gb" && group.notifyFault?.path == "/bin/gf" && group.notifyStop?.path == "/bin/gs")
        #expect(group.smtpAlert == true && group.trackingWeight)
        #expect(group.trackScripts.map(\.weight) == [10] && group.trackInterfaces.map(\.interface) == ["eth9"])
        #expect(result.configuration.vrrp.instances.map(\.syncGroup) == ["G1", "G1"])
    }

    @Test func unknownMemberAndMemberOfTwoGroups() throws {
        let text = """
            vrrp_sync_group G1 {
                group {
                    VI_A VI_B
                    VI_GHOST
                }
            }
            vrrp_sync_group G2 {
                group {
                    VI_B
                    VI_C
                }
            }
            """ + "\n" + instance("VI_A", vrid: 1) + "\n" + instance("VI_B", vrid: 2) + "\n" + instance("VI_C", vrid: 3)
        let result = parse(text)
        #expect(!result.hasErrors, "\(result.errors)")
        #expect(result.at(4, "virtual router VI_GHOST specified in sync group G1 doesn't exist - ignoring").first?.severity == .warning)
        #expect(result.at(9, "virtual router VI_B cannot exist in more than one sync group (it is in G1); ignoring it in G2").count == 1)
        let groups = result.configuration.vrrp.syncGroups
        #expect(groups.map(\.members) == [["VI_A", "VI_B"], ["VI_C"]])
        #expect(result.at(7, "sync group G2 has only 1 virtual router").first?.severity == .warning)
        #expect(result.configuration.vrrp.instance(named: "VI_B")?.syncGroup == "G1")
    }

    @Test func emptyAndDuplicateGroups() {
        let text = "vrrp_sync_group G {\n group {\n NOPE\n }\n}\nvrrp_sync_group G {\n}\nvrrp_sync_group H {\n group {\n }\n global_tracking\n}"
        let result = parse(text)
        #expect(result.configuration.vrrp.syncGroups.isEmpty)
        #expect(result.at(1, "no matching virtual router found in the group declaration - removing it").count == 1)
        #expect(result.at(6, "vrrp sync group G is already defined at test.conf:1 - ignoring this one").count == 1)
        #expect(result.at(6, "has no group block").count == 1)
        #expect(result.at(9, "sync group H has an empty group block").count == 1)
        #expect(result.at(11, "global_tracking is deprecated").first?.kind == .deprecated)
        #expect(parse("vrrp_sync_group {\n}").errors.first?.location.line == 1)
        #expect(parse("vrrp_sync_group G {\n grup {\n A\n }\n}").at(2, "unknown keyword 'grup' in vrrp_sync_group").count == 1)
    }

    @Test func membersAndOwnersDoNotFloat() throws {
        let scripts = "vrrp_script weighted {\n script /bin/a\n weight 10\n}\nvrrp_script plain {\n script /bin/b\n}\n"
        let tracking = " track_interface {\n eth5 weight 10\n eth6\n }\n track_script {\n weighted\n plain\n plain2 weight 0\n }\n"
        // Lines: scripts 1-7, group 8-13, VI_A 14-...
        let group = "vrrp_sync_group G {\n group {\n VI_A\n VI_B\n }\n}\n"
        let member = "vrrp_instance VI_A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n" + tracking + "}\n"
        let result = parse(scripts + group + member + instance("VI_B", vrid: 2))
        let a = try #require(result.configuration.vrrp.instance(named: "VI_A"))
        #expect(a.trackInterfaces.map(\.interface) == ["eth5", "eth6"] && a.trackInterfaces.map(\.weight) == [0, 0])
        #expect(a.trackScripts.map(\.name) == ["plain"])
        #expect(result.at(21, "ignoring the weight of tracked interface eth5 due to SYNC group").first?.severity == .warning)
        #expect(result.at(25, "ignoring tracked script weighted with weights due to SYNC group").count == 1)
        // With sync_group_tracking_weight the weights stay.
        let keep = parse(scripts + group.replacingOccurrences(of: " }\n}", with: " }\n sync_group_tracking_weight\n}") + member
                         + instance("VI_B", vrid: 2))
        #expect(keep.configuration.vrrp.instance(named: "VI_A")?.trackScripts.map(\.name) == ["weighted", "plain"])
        // An address owner stops tracking weighted interfaces.
        let owner = try #require(parse(scripts + member.replacingOccurrences(of: " virtual_router_id 1\n", with: " virtual_router_id 1\n priority 255\n"))
                                    .configuration.vrrp.instance(named: "VI_A"))
        #expect(owner.trackInterfaces.map(\.interface) == ["eth6"] && owner.trackScripts.map(\.name) == ["plain"])
    }

    @Test func ownersMixedWithNonOwners() {
        let text = "vrrp_sync_group G {\n group {\n VI_A\n VI_B\n }\n}\n" + instance("VI_A", vrid: 1, state: "MASTER", priority: 255)
            + "\n" + instance("VI_B", vrid: 2)
        let result = parse(text)
        #expect(result.at(1, "some member(s) as address owner and some not").first?.severity == .warning)
    }
}

@Suite struct VRRPAddressTests {
    private func vips(_ lines: String) -> ParseResult {
        parse("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n\(lines)\n }\n}")
    }

    @Test func everyOption() throws {
        let result = vips("""
            10.0.0.1/24 brd 10.0.0.255 dev eth1 scope link label eth1:vip
            10.0.0.2/24 broadcast + no_track preferred_lft forever home -nodad mngtmpaddr noprefixroute autojoin
            10.0.0.3/24 brd -
            10.0.0.4 peer 10.0.1.4/24 use_vmac
            10.0.0.5 scope 77
            """)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let list = try #require(result.singleInstance()?.virtualAddresses)
        #expect(list.count == 5)
        #expect(list[0].prefixLength == 24 && list[0].broadcast == ip("10.0.0.255") && list[0].device == "eth1")
        #expect(list[0].scope == 253 && list[0].label == "eth1:vip" && list[0].location.line == 5)
        #expect(list[0].description == "10.0.0.1/24 dev eth1 label eth1:vip")
        #expect(list[1].broadcast == ip("10.0.0.255") && list[1].noTrack && list[1].preferredLifetime == UInt32.max)
        #expect(list[1].home && list[1].noDAD && list[1].manageTemporaryAddress && list[1].noPrefixRoute && list[1].autoJoin)
        #expect(list[2].broadcast == ip("10.0.0.0"))
        #expect(list[3].peer == ip("10.0.1.4") && list[3].prefixLength == 24 && list[3].useVMAC)
        #expect(list[4].scope == 77 && list[4].prefixLength == 32 && list[4].preferredLifetime == nil)
    }

    @Test func garbage() throws {
        let result = vips("""
            10.0.0.300
            10.0.0.1/33
            10.0.0.2 dev
            10.0.0.3 scope galaxy
            10.0.0.4 brd 1.2.3
            10.0.0.5 label abcdefghijklmnopq
            10.0.0.6 sparkle
            2001:db8::1
            10.0.0.7 dev eth0 dev eth1
            10.0.0.8 preferred_lft soon
            """)
        #expect(result.at(5, "invalid IP address '10.0.0.300' - skipping it").first?.severity == .error)
        #expect(result.at(6, "invalid address prefix length '33' for 10.0.0.1 - using 32").first?.severity == .error)
        #expect(result.at(7, "no dev parameter specified for 10.0.0.2").first?.severity == .error)
        #expect(result.at(8, "invalid scope 'galaxy'").first?.severity == .error)
        #expect(result.at(9, "invalid broadcast '1.2.3'").first?.severity == .error)
        #expect(result.at(10, "longer than 15 characters").first?.severity == .error)
        #expect(result.at(11, "unknown option 'sparkle'").first?.severity == .warning)
        #expect(result.at(12, "address family must match the VRRP instance [2001:db8::1] - ignoring").first?.severity == .warning)
        #expect(result.at(13, "cannot specify the device more than once").first?.severity == .error)
        #expect(result.at(14, "preferred_lft 'soon' is invalid").first?.severity == .error)
        let list = try #require(result.singleInstance()?.virtualAddresses)
        #expect(list.map(\.address) == [ip("10.0.0.1"), ip("10.0.0.3"), ip("10.0.0.6"), ip("10.0.0.8")])
        #expect(list.first?.prefixLength == 32)
    }

    @Test func ipv6Rules() throws {
        let result = vips("2001:db8::1/64 scope link label x\n2001:db8::2 brd 1.2.3.4\nfe80::5 preferred_lft 30")
        let list = try #require(result.singleInstance()?.virtualAddresses)
        #expect(list.count == 2)
        #expect(list[0].scope == nil && list[0].label == nil && list[0].preferredLifetime == UInt32.max)
        #expect(list[1].preferredLifetime == 30)
        #expect(result.at(5, "cannot specify scope for IPv6").count == 1 && result.at(5, "cannot specify label for IPv6").count == 1)
        #expect(result.at(6, "broadcast address for the IPv6 address").first?.severity == .error)
    }

    @Test func excludedAddressesMayMixFamilies() throws {
        let text = vrrpConfig("virtual_ipaddress_excluded {\n 2001:db8::9/64\n 10.9.9.9 dev eth3\n}")
        let vi = try #require(parse(text, strict: true).singleInstance())
        #expect(vi.excludedAddresses.map(\.address) == [ip("2001:db8::9"), ip("10.9.9.9")])
        #expect(vi.excludedAddresses.map(\.device) == [nil, "eth3"])
        #expect(vi.family == .inet)
    }

    @Test func staticAddressesAndRoutes() throws {
        let text = """
            static_ipaddress {
                192.168.1.1/24 dev eth0 scope global
                192.168.1.2/24 dev eth0 track_group tg
            }
            static_routes {
                192.168.2.0/24 via 192.168.1.254 dev eth0
                default via 192.168.1.1 table 100 metric 5
            }
            """
        let result = parse(text, strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let vrrp = result.configuration.vrrp
        #expect(vrrp.staticAddresses.map(\.address) == [ip("192.168.1.1"), ip("192.168.1.2")])
        #expect(vrrp.staticAddresses.first?.scope == 0 && vrrp.staticAddresses.first?.location.line == 2)
        #expect(vrrp.staticRoutes.count == 2)
        #expect(vrrp.staticRoutes[0].destination == ip("192.168.2.0") && vrrp.staticRoutes[0].prefixLength == 24)
        #expect(vrrp.staticRoutes[0].via == ip("192.168.1.254") && vrrp.staticRoutes[0].device == "eth0")
        #expect(vrrp.staticRoutes[1].destination == nil && vrrp.staticRoutes[1].table == 100 && vrrp.staticRoutes[1].metric == 5)
        // static_routes are acted upon (VRRPPlan.staticRoutes): no "not acted upon" report for the section.
        #expect(result.diagnostics.filter { $0.kind == .notActedUpon && $0.location.line == 5 }.isEmpty)
    }

    @Test func virtualRoutes() throws {
        let lines = """
            virtual_routes {
                src 10.0.0.100 to 10.1.0.0/16 via 10.0.0.1 dev eth1 scope link table main metric 10 protocol static no_track
                blackhole 10.2.0.0/16
                10.3.0.0/16 gw 10.0.0.1 or 10.0.0.2 onlink mtu 1400
                inet6 default via 2001:db8::1
                10.4.0.0/16 protocol static
            }
            """
        let result = parse(vrrpConfig(lines))
        let routes = try #require(result.singleInstance()?.virtualRoutes)
        #expect(routes.count == 5)
        #expect(routes[0].source == ip("10.0.0.100") && routes[0].destination == ip("10.1.0.0") && routes[0].prefixLength == 16)
        #expect(routes[0].via == ip("10.0.0.1") && routes[0].device == "eth1" && routes[0].scope == 253)
        #expect(routes[0].table == 254 && routes[0].metric == 10 && routes[0].noTrack && routes[0].protocolNumber == 4)
        #expect(routes[1].type == "blackhole" && routes[1].destination == ip("10.2.0.0"))
        #expect(routes[2].via == ip("10.0.0.1") && routes[2].orVia == ip("10.0.0.2") && routes[2].onLink)
        #expect(routes[2].otherOptions == ["mtu", "1400"])
        #expect(result.at(10, "\"gw\" for routes is deprecated").first?.kind == .deprecated)
        #expect(routes[3].family == .inet6 && routes[3].destination == nil && routes[3].via == ip("2001:db8::1"))
        #expect(routes[4].protocolNumber == 18)
        #expect(result.at(12, "cannot be tracked if its protocol is not keepalived").first?.severity == .warning)
    }

    @Test func routeGarbage() {
        let lines = """
            virtual_routes {
                via 10.0.0.1
                10.1.0.0/16 via 2001:db8::1
                10.1.0.0/16 table nosuch
                10.1.0.0/16 metric
                nonsense 10.1.0.0/16
                10.1.0.0/16 scope weird
            }
            """
        let result = parse(vrrpConfig(lines))
        #expect(result.at(8, "route must have a destination").first?.severity == .error)
        #expect(result.at(9, "cannot mix IPv4 and IPv6").first?.severity == .error)
        #expect(result.at(10, "routing table 'nosuch' not found").first?.severity == .error)
        #expect(result.at(11, "'metric' needs a value").first?.severity == .error)
        #expect(result.at(12, "unknown route keyword 'nonsense'").first?.severity == .error)
        #expect(result.at(13, "scope 'weird'").first?.severity == .error)
        #expect(result.singleInstance()?.virtualRoutes.isEmpty == true)
    }
}

@Suite struct GlobalVRRPAndMailTests {
    @Test func defaults() {
        let g = parse("").configuration.globalDefinitions
        #expect(g.vrrp.version == .v2 && !g.vrrp.strict && g.vrrp.startupDelay == .zero)
        #expect(g.vrrp.multicastGroup4 == ip("224.0.0.18") && g.vrrp.multicastGroup6 == ip("ff02::12"))
        #expect(g.vrrp.garp.masterDelay == .seconds(5) && g.vrrp.garp.masterRepeat == 5)
        #expect(g.vrrp.garpInterval == .zero && g.vrrp.gnaInterval == .zero && g.vrrp.downTimerAdverts == 3)
        #expect(g.mail.smtpServerPort == 25 && g.mail.effectiveSMTPConnectTimeout == .seconds(30))
        #expect(g.mail.smtpAlertVRRP == nil && g.smtpAlertChecker == nil)
    }

    @Test func everyKeyword() {
        let text = """
            global_defs {
                router_id LB1
                vrrp_version 3
                vrrp_mcast_group4 224.0.0.99
                vrrp_mcast_group6 ff02::99
                vrrp_garp_master_delay 3
                vrrp_garp_master_repeat 2
                vrrp_garp_master_refresh 30
                vrrp_garp_master_refresh_repeat 4
                vrrp_garp_lower_prio_delay 1
                vrrp_garp_lower_prio_repeat 6
                vrrp_garp_interval 0.001
                vrrp_gna_interval 0.002
                vrrp_startup_delay 5.5
                vrrp_strict
                notification_email {
                    ops@example.com
                    noc@example.com
                }
                notification_email_from lb1@example.com
                smtp_server mail.example.com 2525
                smtp_helo_name lb1.example.com
                smtp_connect_timeout 10
                smtp_alert
                smtp_alert_vrrp off
                smtp_alert_checker
                script_user keepalived_script
                enable_script_security
            }
            """
        let result = parse(text, strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let g = result.configuration.globalDefinitions
        #expect(g.routerID == "LB1" && g.vrrp.version == .v3 && g.vrrp.strict)
        #expect(g.vrrp.multicastGroup4 == ip("224.0.0.99") && g.vrrp.multicastGroup6 == ip("ff02::99"))
        #expect(g.vrrp.garp.masterDelay == .seconds(3) && g.vrrp.garp.masterRepeat == 2)
        #expect(g.vrrp.garp.masterRefresh == .seconds(30) && g.vrrp.garp.masterRefreshRepeat == 4)
        #expect(g.vrrp.garpLowerPriorityDelay == .seconds(1) && g.vrrp.garpLowerPriorityRepeat == 6)
        #expect(g.vrrp.garpInterval == .milliseconds(1) && g.vrrp.gnaInterval == .milliseconds(2))
        #expect(g.vrrp.startupDelay == .milliseconds(5500))
        #expect(g.mail.notificationEmail == ["ops@example.com", "noc@example.com"])
        #expect(g.mail.notificationEmailFrom == "lb1@example.com")
        #expect(g.mail.smtpServerHost == "mail.example.com" && g.mail.smtpServerPort == 2525)
        #expect(g.mail.smtpServer == "mail.example.com 2525" && g.mail.smtpHeloName == "lb1.example.com")
        #expect(g.mail.smtpConnectTimeout == .seconds(10) && g.mail.smtpAlert == true && g.mail.smtpAlertVRRP == false)
        #expect(g.smtpAlertChecker == true && g.scriptUser == "keepalived_script" && g.enableScriptSecurity)
    }

    @Test func garbageWithLines() {
        let text = """
            global_defs {
                vrrp_version 1
                vrrp_mcast_group4 10.0.0.1
                vrrp_mcast_group6 224.0.0.1
                vrrp_mcast_group6 ff05::12
                vrrp_garp_master_repeat 0
                vrrp_garp_master_delay -1
                vrrp_garp_interval 0
                vrrp_startup_delay 0.0001
                vrrp_gna_interval x
                smtp_server mail 99999
                smtp_connect_timeout 0
                smtp_connect_timeout 1.5
                smtp_alert_vrrp perhaps
                notification_email {
                }
                vrrp_down_timer_adverts 0
            }
            """
        let result = parse(text)
        #expect(result.at(2, "'vrrp_version'").first?.severity == .error)
        #expect(result.at(3, "not a multicast address").first?.severity == .error)
        #expect(result.at(4, "not an IPv6 address").first?.severity == .error)
        #expect(result.at(5, "should be link-local multicast").first?.severity == .warning)
        #expect(result.at(6, "vrrp_garp_master_repeat must be greater than 0, setting to 1").first?.severity == .warning)
        #expect(result.at(7, "'vrrp_garp_master_delay'").first?.severity == .error)
        #expect(result.at(8, "below keepalived's minimum").first?.severity == .warning)
        #expect(result.at(9, "the minimum is 0.001 s").first?.severity == .error)
        #expect(result.at(10, "'vrrp_gna_interval'").first?.severity == .error)
        #expect(result.at(11, "expected a port").first?.severity == .error)
        #expect(result.at(12, "smtp_connect_timeout must be greater than 0, setting to 1").first?.severity == .warning)
        #expect(result.at(13, "'smtp_connect_timeout'").first?.severity == .error)
        #expect(result.at(14, "'smtp_alert_vrrp'").first?.severity == .error)
        #expect(result.at(15, "empty notification_email block").first?.severity == .warning)
        #expect(result.at(17, "'vrrp_down_timer_adverts'").first?.severity == .error)
        let g = result.configuration.globalDefinitions
        #expect(g.vrrp.version == .v2 && g.vrrp.multicastGroup4 == ip("224.0.0.18") && g.vrrp.multicastGroup6 == ip("ff05::12"))
        #expect(g.vrrp.garp.masterRepeat == 1 && g.mail.smtpConnectTimeout == .seconds(1) && g.mail.smtpServer == nil)
    }
}
