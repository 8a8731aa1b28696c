import IPVSKit
import Testing
@testable import KeepalivedConfig

/// A minimal vrrp_instance VI_1 on eth0, VRID 51, VIP 10.0.0.100/24 (lines 1-6); `lines` start at line 7.
func vrrpConfig(_ lines: String = "", before: String = "", after: String = "") -> String {
    let prefix = before.isEmpty ? "" : before + "\n"
    return prefix + """
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
                10.0.0.100/24
            }
        \(lines)
        }
        """ + (after.isEmpty ? "" : "\n" + after)
}

extension ParseResult {
    /// The only VRRP instance, recording an issue when there is not exactly one.
    func singleInstance(sourceLocation: Testing.SourceLocation = #_sourceLocation) -> VRRPInstance? {
        #expect(configuration.vrrp.instances.count == 1, "\(diagnostics)", sourceLocation: sourceLocation)
        return configuration.vrrp.instances.first
    }

    /// The diagnostics at `line` of test.conf whose message contains `text`.
    func at(_ line: Int, _ text: String) -> [Diagnostic] {
        diagnostics.filter { $0.location.line == line && $0.location.file == "test.conf" && $0.message.contains(text) }
    }
}

@Suite struct VRRPInstanceDefaultsTests {
    @Test func defaultsMatchKeepalived227() throws {
        let result = parse(vrrpConfig(), strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let vi = try #require(result.singleInstance())
        #expect(vi.name == "VI_1" && vi.location.line == 1 && vi.location.file == "test.conf")
        #expect(vi.interface == "eth0" && vi.virtualRouterID == 51)
        #expect(vi.priority == 100 && !vi.priorityWasGiven)
        #expect(vi.initialState == .backup && !vi.stateWasGiven)
        #expect(vi.advertInterval == .seconds(1))
        #expect(vi.version == .v2 && vi.family == .inet)
        #expect(vi.authentication == nil)
        #expect(!vi.noPreempt && vi.preemptDelay == .zero)
        #expect(vi.accept && !vi.strictMode)
        #expect(vi.multicastGroup == ip("224.0.0.18"))
        #expect(vi.garp.masterDelay == .seconds(5) && vi.garp.masterRepeat == 5)
        #expect(vi.garp.masterRefresh == .zero && vi.garp.masterRefreshRepeat == 1)
        #expect(vi.garp.lowerPriorityDelay == .seconds(5) && vi.garp.lowerPriorityRepeat == 5)
        #expect(vi.downTimerAdverts == 3 && !vi.lowerPriorityNoAdvert && !vi.higherPrioritySendAdvert)
        #expect(!vi.smtpAlert && vi.syncGroup == nil && !vi.isUnicast && !vi.isAddressOwner)
        let vip = try #require(vi.virtualAddresses.first)
        #expect(vip.address == ip("10.0.0.100") && vip.prefixLength == 24 && vip.device == nil && vip.location.line == 5)
        // lvsd runs VRRP instances: nothing reported as not acted upon.
        let reports = result.diagnostics.filter { $0.kind == .notActedUpon }
        #expect(reports.isEmpty)
    }

    @Test func stateMasterWithoutPriorityIsTheAddressOwner() throws {
        let vi = try #require(parse(vrrpConfig("state MASTER")).singleInstance())
        #expect(vi.initialState == .master && vi.priority == 255 && vi.isAddressOwner)
        // And priority 255 without a state starts as MASTER.
        let owner = try #require(parse(vrrpConfig("priority 255")).singleInstance())
        #expect(owner.initialState == .master && owner.priorityWasGiven)
        let master = try #require(parse(vrrpConfig("state MASTER\npriority 150")).singleInstance())
        #expect(master.initialState == .master && master.priority == 150)
    }

    @Test func priorityRange() throws {
        for bad in ["0", "256", "-1", "abc", "1.5"] {
            let result = parse(vrrpConfig("state MASTER\npriority \(bad)"))
            #expect(result.errors.count == 1, "\(bad): \(result.diagnostics)")
            #expect(result.errors.first?.location.line == 8)
            #expect(result.errors.first?.message.contains("'priority'") == true)
            // keepalived uses the default (100), so state MASTER does not make it 255.
            #expect(result.singleInstance()?.priority == 100)
        }
        let missing = parse(vrrpConfig("priority"))
        #expect(missing.errors.map(\.location.line) == [7])
    }

    @Test func virtualRouterIDIsRequiredAndRanged() {
        let none = parse("vrrp_instance VI_9 {\n interface eth0\n virtual_ipaddress {\n 10.0.0.1\n }\n}")
        #expect(none.configuration.vrrp.instances.isEmpty)
        #expect(none.errors.count == 1 && none.errors.first?.location.line == 1)
        #expect(none.errors.first?.message.contains("(VI_9) the virtual router id must be set") == true)
        for bad in ["0", "256", "x"] {
            let result = parse(vrrpConfig("virtual_router_id \(bad)"))
            #expect(result.at(7, "'virtual_router_id'").first?.severity == .error, "\(bad)")
            // The earlier valid VRID stays.
            #expect(result.singleInstance()?.virtualRouterID == 51)
        }
    }

    @Test func interfaceIsRequiredForMulticastAndBounded() {
        let none = parse("vrrp_instance VI_1 {\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}")
        #expect(none.configuration.vrrp.instances.isEmpty)
        #expect(none.errors.first?.location.line == 1)
        let long = parse(vrrpConfig("interface abcdefghijklmnop"))
        #expect(long.at(7, "at most 15").first?.severity == .error)
        #expect(long.singleInstance()?.interface == "eth0")
    }

    @Test func stateValues() throws {
        let bad = parse(vrrpConfig("state master"))
        #expect(bad.at(7, "'state'").first?.severity == .error)
        #expect(bad.singleInstance()?.initialState == .backup)
        let twice = parse(vrrpConfig("state MASTER\nstate BACKUP\npriority 100"))
        #expect(twice.at(8, "state previously set as MASTER - ignoring BACKUP").first?.severity == .warning)
        #expect(twice.singleInstance()?.initialState == .master)
    }

    @Test func duplicateInstanceNameKeepsTheFirst() {
        let text = vrrpConfig() + "\n" + vrrpConfig("priority 50")
        let result = parse(text)
        #expect(result.configuration.vrrp.instances.count == 1)
        #expect(result.configuration.vrrp.instances.first?.priority == 100)
        #expect(result.at(9, "vrrp instance VI_1 is already defined at test.conf:1").count == 1)
    }

    @Test func unknownKeywordsWarnAsBefore() {
        let result = parse(vrrpConfig("priorty 100\nvirtual_ipadress {\n 10.0.0.1\n}"))
        #expect(result.warnings.filter { $0.kind == .unknownKeyword }.map(\.location.line) == [7, 8])
        #expect(parse(vrrpConfig("priorty 100"), strict: true).errors.first?.location.line == 7)
        // Recognised keepalived keywords that are not modelled are kept, not reported.
        let other = parse(vrrpConfig("debug 2\npromote_secondaries\nkernel_rx_buf_size 4096"), strict: true)
        #expect(!other.hasErrors)
        #expect(other.singleInstance()?.otherSettings.map(\.keyword) == ["debug", "promote_secondaries", "kernel_rx_buf_size"])
    }

    @Test func valuesCompareByContentNotPosition() throws {
        let a = try #require(parse(vrrpConfig("notify_master /bin/m\ntrack_interface {\n eth1 weight 5\n}")).singleInstance())
        let b = try #require(parse("\n\n\n" + vrrpConfig("track_interface {\n eth1 weight 5\n}\nnotify_master /bin/m"),
                                   file: "other.conf").singleInstance())
        #expect(a.location != b.location)
        #expect(a == b)
        let c = try #require(parse(vrrpConfig("priority 99")).singleInstance())
        #expect(a != c)
    }

    @Test func nameIsRequired() {
        let result = parse("vrrp_instance {\n interface eth0\n}\nvrrp_instance A B {\n}")
        #expect(result.errors.map(\.location.line) == [1, 4])
    }
}

@Suite struct VRRPAdvertIntervalTests {
    @Test func wholeSecondsForV2() throws {
        let vi = try #require(parse(vrrpConfig("advert_int 3")).singleInstance())
        #expect(vi.advertInterval == .seconds(3))
        let rounded = parse(vrrpConfig("advert_int 1.5"))
        #expect(rounded.at(7, "VRRPv2 advertisement interval 1.5s must be an integer - rounding to 2s").first?.severity == .warning)
        #expect(rounded.singleInstance()?.advertInterval == .seconds(2))
        let small = parse(vrrpConfig("advert_int 0.2"))
        #expect(small.singleInstance()?.advertInterval == .seconds(1))
        #expect(small.at(7, "rounding to 1s").count == 1)
    }

    @Test func centisecondsForV3() throws {
        let vi = try #require(parse(vrrpConfig("version 3\nadvert_int 0.1")).singleInstance())
        #expect(vi.version == .v3 && vi.advertInterval == .milliseconds(100))
        let rounded = parse(vrrpConfig("version 3\nadvert_int 0.125"))
        #expect(rounded.singleInstance()?.advertInterval == .milliseconds(130))
        #expect(rounded.at(8, "must be in units of 10ms - rounding to 0.13s").count == 1)
        let big = parse(vrrpConfig("version 3\nadvert_int 100"))
        #expect(big.singleInstance()?.advertInterval == .milliseconds(40_950))
        #expect(big.at(8, "out of range").first?.severity == .warning)
    }

    @Test func outOfRangeAndGarbage() {
        for bad in ["0", "0.001", "256", "-1", "1s", "0.0000001"] {
            let result = parse(vrrpConfig("advert_int \(bad)"))
            #expect(result.at(7, "'advert_int'").first?.severity == .error, "\(bad)")
            #expect(result.singleInstance()?.advertInterval == .seconds(1))
        }
    }
}

@Suite struct VRRPVersionTests {
    @Test func versionFromGlobalDefsOrInstance() throws {
        let global = parse(vrrpConfig(before: "global_defs {\n vrrp_version 3\n}"))
        #expect(global.singleInstance()?.version == .v3)
        let local = parse(vrrpConfig("version 2", before: "global_defs {\n vrrp_version 3\n}"))
        #expect(local.singleInstance()?.version == .v2)
        let bad = parse(vrrpConfig("version 4"))
        #expect(bad.at(7, "'version'").first?.severity == .error)
    }

    @Test func ipv6IsAlwaysVersion3() throws {
        let text = """
            vrrp_instance V6 {
                interface eth0
                virtual_router_id 5
                version 2
                virtual_ipaddress {
                    fe80::1/64
                    2001:db8::10
                }
            }
            """
        let result = parse(text)
        let vi = try #require(result.singleInstance())
        #expect(vi.family == .inet6 && vi.version == .v3)
        #expect(vi.multicastGroup == ip("ff02::12"))
        #expect(result.at(4, "cannot use IPv6 with VRRP version 2; setting version 3").count == 1)
        // A /128 IPv6 VIP gets preferred_lft 0, another prefix forever.
        #expect(vi.virtualAddresses.map(\.preferredLifetime) == [UInt32.max, 0])
        #expect(vi.virtualAddresses.map(\.prefixLength) == [64, 128])
    }
}

@Suite struct VRRPAuthenticationTests {
    @Test func passwordIsTruncatedToEight() throws {
        let result = parse(vrrpConfig("authentication {\n auth_type PASS\n auth_pass 0123456789\n}"))
        let auth = try #require(result.singleInstance()?.authentication)
        #expect(auth.kind == .pass && auth.password == "01234567")
        #expect(auth.authenticationData == Array("01234567".utf8))
        #expect(result.at(9, "truncating auth_pass to 8 characters").first?.severity == .warning)
        let short = try #require(parse(vrrpConfig("authentication {\n auth_type PASS\n auth_pass 1111\n}")).singleInstance()?.authentication)
        #expect(short.authenticationData == [0x31, 0x31, 0x31, 0x31, 0, 0, 0, 0])
    }

    @Test func ahIsParsedAndReportedAsNotImplemented() throws {
        let result = parse(vrrpConfig("authentication {\n auth_type AH\n auth_pass secret\n}"))
        #expect(result.singleInstance()?.authentication?.kind == .ah)
        #expect(result.at(7, "auth_type AH is parsed but not implemented by lvsd").first?.kind == .notActedUpon)
    }

    @Test func ignoredForVersion3StrictAndWithoutPassword() {
        let v3 = parse(vrrpConfig("version 3\nauthentication {\n auth_type PASS\n auth_pass x\n}"))
        #expect(v3.singleInstance()?.authentication == nil)
        #expect(v3.at(8, "VRRP version 3 does not support authentication").first?.severity == .warning)
        let strict = parse(vrrpConfig("strict_mode\nauthentication {\n auth_type PASS\n auth_pass x\n}"))
        #expect(strict.singleInstance()?.authentication == nil)
        #expect(strict.at(8, "strict mode does not support authentication").count == 1)
        let noPass = parse(vrrpConfig("authentication {\n auth_type PASS\n}"))
        #expect(noPass.singleInstance()?.authentication == nil)
        #expect(noPass.at(7, "no password given").count == 1)
        let badType = parse(vrrpConfig("authentication {\n auth_type MD5\n auth_pass x\n}"))
        #expect(badType.at(8, "'auth_type'").first?.severity == .error)
        let unknown = parse(vrrpConfig("authentication {\n auth_typ PASS\n}"))
        #expect(unknown.at(8, "unknown keyword 'auth_typ' in authentication").first?.kind == .unknownKeyword)
    }
}

@Suite struct VRRPPreemptionTests {
    @Test func nopreemptAndPreemptDelay() throws {
        let vi = try #require(parse(vrrpConfig("nopreempt")).singleInstance())
        #expect(vi.noPreempt)
        let back = try #require(parse(vrrpConfig("nopreempt\npreempt")).singleInstance())
        #expect(!back.noPreempt)
        let delay = try #require(parse(vrrpConfig("preempt_delay 1.5")).singleInstance())
        #expect(delay.preemptDelay == .milliseconds(1500))
    }

    @Test func nopreemptClearedForMasterAndOwner() {
        let master = parse(vrrpConfig("state MASTER\npriority 100\nnopreempt"))
        #expect(master.singleInstance()?.noPreempt == false)
        #expect(master.at(9, "nopreempt will not work with initial state MASTER - clearing").first?.severity == .warning)
        let owner = parse(vrrpConfig("state BACKUP\npriority 255\nnopreempt"))
        #expect(owner.singleInstance()?.noPreempt == false)
        #expect(owner.at(9, "nopreempt is incompatible with priority 255").count == 1)
    }

    @Test func preemptDelayRangeAndConflicts() {
        for bad in ["1001", "-1", "x"] {
            let result = parse(vrrpConfig("preempt_delay \(bad)"))
            #expect(result.at(7, "'preempt_delay'").first?.severity == .error, "\(bad)")
        }
        let master = parse(vrrpConfig("state MASTER\npreempt_delay 10"))
        #expect(master.singleInstance()?.preemptDelay == .zero)
        #expect(master.at(8, "preempt delay will not work with initial state MASTER").count == 1)
        let nopreempt = parse(vrrpConfig("nopreempt\npreempt_delay 10"))
        #expect(nopreempt.singleInstance()?.preemptDelay == .zero)
        #expect(nopreempt.at(8, "preempt_delay is incompatible with nopreempt").count == 1)
        let strict = parse(vrrpConfig("strict_mode on\npreempt_delay 10"))
        #expect(strict.singleInstance()?.preemptDelay == .zero)
        #expect(strict.at(8, "incompatible with strict mode").count == 1)
    }
}

@Suite struct VRRPStrictModeTests {
    @Test func strictModeAdjustments() throws {
        let result = parse(vrrpConfig("state MASTER\npriority 100\ngarp_lower_prio_repeat 3", before: "global_defs {\n vrrp_strict\n}"))
        let vi = try #require(result.singleInstance())
        #expect(vi.strictMode && !vi.accept && vi.lowerPriorityNoAdvert)
        #expect(vi.initialState == .backup)
        #expect(vi.garp.lowerPriorityRepeat == 0 && vi.garp.lowerPriorityDelay == .zero)
        #expect(result.at(10, "state MASTER must match being address owner").first?.severity == .warning)
        #expect(result.at(4, "strict mode requires no repeat garps").count == 1)
        let off = try #require(parse(vrrpConfig("strict_mode off", before: "global_defs {\n vrrp_strict\n}")).singleInstance())
        #expect(!off.strictMode && off.accept)
        let owner = try #require(parse(vrrpConfig("strict_mode\npriority 255")).singleInstance())
        #expect(owner.accept && owner.initialState == .master)
    }

    @Test func strictModeForbidsUnicastAndRequiresAVIP() {
        let unicast = parse(vrrpConfig("strict_mode\nunicast_peer {\n 10.0.0.2\n}"))
        #expect(unicast.configuration.vrrp.instances.isEmpty)
        #expect(unicast.errors.first?.message.contains("unicast peers are not supported in strict mode") == true)
        #expect(unicast.errors.first?.location.line == 1)
        let noVIP = parse("vrrp_instance X {\n interface eth0\n virtual_router_id 1\n strict_mode\n}")
        #expect(noVIP.configuration.vrrp.instances.isEmpty)
        #expect(noVIP.errors.first?.message.contains("at least one is required") == true)
        let v2NoVIP = parse("vrrp_instance X {\n interface eth0\n virtual_router_id 1\n}")
        #expect(v2NoVIP.configuration.vrrp.instances.count == 1)
        #expect(v2NoVIP.warnings.contains { $0.message.contains("at least one is sensible") && $0.location.line == 1 })
        let badValue = parse(vrrpConfig("strict_mode maybe"))
        #expect(badValue.at(7, "'strict_mode'").first?.severity == .error)
    }

    @Test func acceptAndNoAccept() throws {
        #expect(try #require(parse(vrrpConfig("no_accept")).singleInstance()).accept == false)
        let strictV2 = parse(vrrpConfig("strict_mode\naccept"))
        #expect(strictV2.singleInstance()?.accept == false)
        #expect(strictV2.at(1, "accept mode for VRRP version 2").count == 1)
        let strictV3 = try #require(parse(vrrpConfig("strict_mode\naccept\nversion 3")).singleInstance())
        #expect(strictV3.accept)
    }
}

@Suite struct VRRPGARPTests {
    @Test func instanceOverridesGlobalOverridesDefault() throws {
        let global = """
            global_defs {
                vrrp_garp_master_delay 10
                vrrp_garp_master_repeat 3
                vrrp_garp_master_refresh 60
                vrrp_garp_master_refresh_repeat 2
            }
            """
        let vi = try #require(parse(vrrpConfig("garp_master_repeat 7\ngarp_lower_prio_delay 2", before: global), strict: true).singleInstance())
        #expect(vi.garp.masterDelay == .seconds(10) && vi.garp.masterRepeat == 7)
        #expect(vi.garp.masterRefresh == .seconds(60) && vi.garp.masterRefreshRepeat == 2)
        // Lower-priority bursts default to the global master values.
        #expect(vi.garp.lowerPriorityDelay == .seconds(2) && vi.garp.lowerPriorityRepeat == 3)
    }

    @Test func rangesAndZeroRepeat() {
        let zero = parse(vrrpConfig("garp_master_repeat 0"))
        #expect(zero.singleInstance()?.garp.masterRepeat == 1)
        #expect(zero.at(7, "garp_master_repeat must be greater than 0, setting to 1").first?.severity == .warning)
        for (keyword, bad) in [("garp_master_delay", "5000"), ("garp_master_delay", "1.5"), ("garp_master_refresh", "-1"),
                               ("garp_master_refresh_repeat", "x"), ("garp_lower_prio_repeat", "2147483648"),
                               ("down_timer_adverts", "0"), ("down_timer_adverts", "101")] {
            let result = parse(vrrpConfig("\(keyword) \(bad)"))
            #expect(result.at(7, "'\(keyword)'").first?.severity == .error, "\(keyword) \(bad)")
        }
    }
}

@Suite struct VRRPNotifyTests {
    @Test func notifyScriptsWithUserAndGroup() throws {
        let lines = """
            notify_master "/etc/keepalived/notify.sh master" nobody nogroup
            notify_backup /etc/keepalived/backup.sh
            notify_fault "/bin/fault.sh a b" alice
            notify_stop /bin/stop
            notify /bin/generic
            notify_master_rx_lower_pri /bin/lower
            notify_deleted
            smtp_alert
            """
        let vi = try #require(parse(vrrpConfig(lines), strict: true).singleInstance())
        #expect(vi.notifyMaster?.arguments == ["/etc/keepalived/notify.sh", "master"])
        #expect(vi.notifyMaster?.user == "nobody" && vi.notifyMaster?.group == "nogroup")
        #expect(vi.notifyMaster?.location.line == 7)
        #expect(vi.notifyBackup?.path == "/etc/keepalived/backup.sh" && vi.notifyBackup?.user == nil)
        #expect(vi.notifyFault?.arguments == ["/bin/fault.sh", "a", "b"] && vi.notifyFault?.user == "alice")
        #expect(vi.notifyStop?.path == "/bin/stop" && vi.notify?.path == "/bin/generic")
        #expect(vi.notifyMasterRxLowerPriority?.path == "/bin/lower")
        #expect(vi.notifyDeleted == .some(nil))
        #expect(vi.smtpAlert)
    }

    @Test func secondNotifyIsIgnoredAndEmptyIsAnError() {
        let twice = parse(vrrpConfig("notify_master /a\nnotify_master /b"))
        #expect(twice.singleInstance()?.notifyMaster?.path == "/a")
        #expect(twice.at(8, "notify_master script already specified - ignoring").first?.severity == .warning)
        let empty = parse(vrrpConfig("notify_fault"))
        #expect(empty.at(7, "needs a script path").first?.severity == .error)
        let quote = parse(vrrpConfig("notify_fault \"/bin/x"))
        #expect(!quote.at(7, "unterminated").isEmpty)
    }

    @Test func smtpAlertFollowsTheGlobals() throws {
        let viaVRRP = parse(vrrpConfig(before: "global_defs {\n smtp_alert_vrrp\n smtp_alert off\n}"))
        #expect(viaVRRP.singleInstance()?.smtpAlert == true)
        let viaGlobal = parse(vrrpConfig(before: "global_defs {\n smtp_alert\n}"))
        #expect(viaGlobal.singleInstance()?.smtpAlert == true)
        let local = parse(vrrpConfig("smtp_alert no", before: "global_defs {\n smtp_alert\n}"))
        #expect(local.singleInstance()?.smtpAlert == false)
        let bad = parse(vrrpConfig("smtp_alert maybe"))
        #expect(bad.at(7, "'smtp_alert'").first?.severity == .error)
    }
}

@Suite struct VRRPUnicastTests {
    @Test func peersWithTTLBounds() throws {
        let lines = """
            unicast_src_ip 10.0.0.1
            unicast_peer {
                10.0.0.2
                10.0.0.3 min_ttl 250 max_ttl 255
            }
            """
        let vi = try #require(parse(vrrpConfig(lines), strict: true).singleInstance())
        #expect(vi.isUnicast && vi.unicastSourceAddress == ip("10.0.0.1"))
        #expect(vi.unicastPeers.map(\.address) == [ip("10.0.0.2"), ip("10.0.0.3")])
        #expect(vi.unicastPeers.map(\.minimumTTL) == [0, 250] && vi.unicastPeers.map(\.maximumTTL) == [255, 255])
        #expect(vi.unicastPeers.map(\.ttlCheckConfigured) == [false, true])
        #expect(vi.multicastGroup == nil)
    }

    @Test func peerOfTheWrongFamilyIsDropped() throws {
        let result = parse(vrrpConfig("unicast_peer {\n 10.0.0.2\n 2001:db8::2\n}"))
        #expect(result.singleInstance()?.unicastPeers.map(\.address) == [ip("10.0.0.2")])
        #expect(result.at(9, "unicast peer 2001:db8::2 must be of the instance's address family - ignoring it").first?.severity == .warning)
    }

    @Test func peerGarbage() {
        let result = parse(vrrpConfig("unicast_peer {\n 10.0.0.300\n 10.0.0.2 min_ttl\n 10.0.0.3 max_ttl 256\n 10.0.0.4 ttl 3\n 10.0.0.5 min_ttl 200 max_ttl 100\n}"))
        #expect(result.at(8, "malformed unicast peer address").first?.severity == .error)
        #expect(result.at(9, "'min_ttl' is missing a value").first?.severity == .error)
        #expect(result.at(10, "'max_ttl': expected 0 to 255").first?.severity == .error)
        #expect(result.at(11, "unknown unicast_peer option 'ttl'").first?.severity == .error)
        #expect(result.at(12, "min_ttl 200 > max_ttl 100").first?.severity == .warning)
        #expect(result.singleInstance()?.unicastPeers.count == 4)
    }

    @Test func unicastKeywordWithoutPeersFallsBackToMulticast() {
        let result = parse(vrrpConfig("unicast_src_ip 10.0.0.1"))
        #expect(result.singleInstance()?.isUnicast == false)
        #expect(result.at(1, "without any unicast peers; defaulting to multicast").first?.kind == .deprecated)
        let ttl = parse(vrrpConfig("unicast_ttl 10"))
        #expect(ttl.singleInstance()?.unicastTTL == nil)
        #expect(ttl.at(1, "cannot use unicast_ttl without unicast peers").count == 1)
    }

    @Test func unicastWithoutInterfaceNeedsASource() throws {
        let ok = parse("vrrp_instance U {\n virtual_router_id 9\n unicast_src_ip 10.0.0.1\n unicast_peer {\n 10.0.0.2\n }\n virtual_ipaddress {\n 10.0.0.9\n }\n}")
        #expect(ok.singleInstance()?.interface == nil)
        let bad = parse("vrrp_instance U {\n virtual_router_id 9\n unicast_peer {\n 10.0.0.2\n }\n virtual_ipaddress {\n 10.0.0.9\n }\n}")
        #expect(bad.configuration.vrrp.instances.isEmpty)
        #expect(bad.errors.first?.message.contains("must have unicast_src_ip or interface") == true)
    }

    @Test func sourceAndMulticastAddresses() throws {
        let vi = try #require(parse(vrrpConfig("mcast_src_ip 10.0.0.1\nmcast_dst_ip 224.0.0.99")).singleInstance())
        #expect(vi.multicastSourceAddress == ip("10.0.0.1") && vi.multicastGroup == ip("224.0.0.99"))
        let wrong = parse(vrrpConfig("mcast_dst_ip 10.0.0.1\nunicast_src_ip 2001:db8::1\nmcast_src_ip 300.1.1.1"))
        #expect(wrong.at(7, "is not multicast - ignoring it").first?.severity == .warning)
        #expect(wrong.at(8, "must be of the instance's address family").count == 1)
        #expect(wrong.at(9, "'mcast_src_ip'").first?.severity == .error)
        let global = parse(vrrpConfig(before: "global_defs {\n vrrp_mcast_group4 224.0.0.111\n}"))
        #expect(global.singleInstance()?.multicastGroup == ip("224.0.0.111"))
    }
}

@Suite struct VRRPTrackingTests {
    @Test func trackInterfaceWeights() throws {
        let lines = """
            track_interface {
                eth1
                eth2 weight -20
                eth3 weight 10 reverse
                eth4 weight 254
                eth5 weight 300
                eth6 weight
                eth1
                eth7 wait 3
            }
            dont_track_primary
            """
        let result = parse(vrrpConfig(lines))
        let vi = try #require(result.singleInstance())
        #expect(vi.trackInterfaces.map(\.interface) == ["eth1", "eth2", "eth3", "eth4", "eth5"])
        #expect(vi.trackInterfaces.map(\.weight) == [0, -20, 10, 253, 0])
        #expect(vi.trackInterfaces.map(\.reverse) == [false, false, true, false, false])
        #expect(vi.dontTrackPrimary)
        #expect(result.at(11, "cannot be +/-254. Setting to +/-253").first?.severity == .warning)
        #expect(result.at(12, "must be between -253 and 253").first?.severity == .error)
        #expect(result.at(13, "weight without value").first?.severity == .error)
        #expect(result.at(14, "duplicate track_interface eth1 - ignoring").first?.severity == .warning)
        #expect(result.at(15, "unknown option 'wait'").first?.severity == .warning)
    }

    @Test func trackScriptOverridesAndUndefinedScripts() throws {
        let scripts = """
            vrrp_script chk_a {
                script "/bin/true"
            }
            vrrp_script chk_b {
                script /bin/false
                weight -10
            }
            """
        let lines = "track_script {\n chk_a weight 5 reverse\n chk_b\n chk_missing\n chk_a\n}"
        let result = parse(vrrpConfig(lines, before: scripts))
        let vi = try #require(result.singleInstance())
        #expect(vi.trackScripts.map(\.name) == ["chk_a", "chk_b"])
        #expect(vi.trackScripts.map(\.weight) == [5, nil] && vi.trackScripts.map(\.reverse) == [true, nil])
        #expect(result.at(17, "(VI_1) track script chk_missing not found, ignoring...").first?.severity == .warning)
        #expect(result.at(18, "duplicate track_script chk_a").count == 1)
        #expect(!result.hasErrors)
    }

    @Test func trackFileNeedsADefinition() throws {
        let definition = "vrrp_track_file tf {\n file /run/tf\n weight -2 reverse\n init_file 0 overwrite\n}"
        let result = parse(vrrpConfig("track_file {\n tf weight 3\n other\n}", before: definition), strict: true)
        let vi = try #require(result.singleInstance())
        #expect(vi.trackFiles.map(\.name) == ["tf"] && vi.trackFiles.first?.weight == 3)
        let file = try #require(result.configuration.vrrp.trackFiles.first)
        #expect(file.path == "/run/tf" && file.weight == -2 && file.reverse && file.initFile == ["0", "overwrite"])
        #expect(result.at(14, "track file other not found").first?.severity == .warning)
        #expect(result.at(1, "'vrrp_track_file' is deprecated; use 'track_file'").first?.kind == .deprecated)
        let current = parse("track_file tf {\n file /run/tf\n}\n" + vrrpConfig("track_file {\n tf\n}"))
        #expect(current.singleInstance()?.trackFiles.map(\.name) == ["tf"])
        #expect(!current.diagnostics.contains { $0.kind == .deprecated })
        let noFile = parse("track_file tf {\n weight 2\n}")
        #expect(noFile.configuration.vrrp.trackFiles.isEmpty)
        #expect(noFile.at(1, "track_file tf has no file - removing it").first?.severity == .warning)
    }

    @Test func useVMACIsParsedAndReported() throws {
        let result = parse(vrrpConfig("use_vmac vrrp.51 00:00:5e:00:01:33"))
        let vmac = try #require(result.singleInstance()?.useVMAC)
        #expect(vmac.name == "vrrp.51" && vmac.macAddress == "00:00:5e:00:01:33")
        #expect(result.at(7, "use_vmac is parsed but not supported by lvsd").first?.kind == .notActedUpon)
    }
}

@Suite struct VRRPCrossCheckTests {
    @Test func sameVRIDOnOneInterfaceIsAnError() {
        let text = vrrpConfig() + "\n" + """
            vrrp_instance VI_2 {
                interface eth0
                virtual_router_id 51
                virtual_ipaddress {
                    10.0.0.101
                }
            }
            vrrp_instance VI_3 {
                interface eth1
                virtual_router_id 51
                virtual_ipaddress {
                    10.0.0.102
                }
            }
            vrrp_instance VI_4 {
                interface eth0
                virtual_router_id 51
                virtual_ipaddress {
                    fe80::1
                }
            }
            """
        let result = parse(text)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.location.line == 9)
        #expect(result.errors.first?.message == "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0")
    }

    @Test func differentMulticastGroupsDoNotConflict() {
        let text = vrrpConfig() + "\n" + "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 51\n mcast_dst_ip 224.0.0.99\n virtual_ipaddress {\n 10.0.0.101\n }\n}"
        #expect(!parse(text).hasErrors)
    }

    @Test func tooManyVIPsBecomeExcluded() throws {
        let vips = (0..<300).map { "10.1.\($0 / 256).\($0 % 256)" }.joined(separator: "\n")
        let result = parse("vrrp_instance BIG {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n\(vips)\n }\n}")
        let vi = try #require(result.singleInstance())
        #expect(vi.virtualAddresses.count == 255 && vi.excludedAddresses.count == 45)
        #expect(result.at(1, "number of VIPs (300) exceeds").first?.severity == .warning)
    }

    @Test func lvsSyncDaemonTakesTheInstanceVRID() throws {
        let ok = parse(vrrpConfig(before: "global_defs {\n lvs_sync_daemon eth0 VI_1\n}"))
        #expect(ok.configuration.globalDefinitions.lvsSyncDaemon?.syncID == 51)
        let given = parse(vrrpConfig(before: "global_defs {\n lvs_sync_daemon eth0 VI_1 id 4\n}"))
        #expect(given.configuration.globalDefinitions.lvsSyncDaemon?.syncID == 4)
        let missing = parse(vrrpConfig(before: "global_defs {\n lvs_sync_daemon eth0 VI_X\n}"))
        #expect(missing.configuration.globalDefinitions.lvsSyncDaemon == nil)
        #expect(missing.at(2, "unable to find vrrp instance VI_X for lvs_sync_daemon").first?.severity == .warning)
    }
}
