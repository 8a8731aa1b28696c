import Foundation
import KeepalivedConfig
import Testing
import VRRP
import VRRPNetwork
@testable import VRRPRuntime

/// keepalived.conf's VRRP part planned for the engine: keepalived's values in the core's units.
@Suite struct VRRPPlanBuilderTests {
    func plan(_ text: String) throws -> Result<VRRPPlan, VRRPPlanBuilder.Problem> {
        let result = KeepalivedConfigParser.parse(text: text, file: "k.conf")
        #expect(!result.hasErrors, "\(result.diagnostics)")
        return VRRPPlanBuilder.plan(result.configuration)
    }

    @Test func staticAddressesAndRoutesArePlannedWithoutAnyInstance() throws {
        let p = try plan("""
            static_ipaddress {
                192.168.1.1/24 dev eth0 scope global
            }
            static_routes {
                192.168.2.0/24 via 192.168.1.254 dev eth0
                blackhole 10.66.0.0/16 table 100 metric 5
            }
            """).get()
        #expect(!p.isEmpty && p.instances.isEmpty)
        #expect(p.staticAddresses.map(\.address.address) == [VRRPAddress("192.168.1.1")!])
        #expect(p.staticRoutes.count == 2)
        #expect(p.staticRoutes[0].device == "eth0" && p.staticRoutes[0].route.gateway == VRRPAddress("192.168.1.254"))
        #expect(p.staticRoutes[0].route.prefixLength == 24 && p.staticRoutes[0].route.type == .unicast)
        #expect(p.staticRoutes[1].device == nil && p.staticRoutes[1].route.type == .blackhole)
        #expect(p.staticRoutes[1].route.table == 100 && p.staticRoutes[1].route.metric == 5)
    }

    @Test func instanceSettingsInTheCoresUnits() throws {
        let p = try plan("""
            vrrp_script chk {
                script "/bin/true"
                interval 2
                weight -20
                fall 3
                rise 2
            }
            vrrp_instance VI_1 {
                state BACKUP
                interface eth0
                virtual_router_id 51
                priority 120
                advert_int 2
                nopreempt
                authentication {
                    auth_type PASS
                    auth_pass secret
                }
                virtual_ipaddress {
                    10.0.0.100/24 dev eth1 label eth1:vip
                    10.0.0.101
                }
                virtual_ipaddress_excluded {
                    10.9.9.9
                }
                track_script {
                    chk weight -30
                }
                track_interface {
                    eth2 weight 10
                }
                notify_master "/usr/local/bin/up.sh a b" nobody
                notify "/usr/local/bin/any.sh"
            }
            """).get()
        let i = try #require(p.instances.first)
        #expect(i.name == "VI_1" && i.interface == "eth0" && !i.sourceGiven)
        #expect(i.settings.vrid == 51 && i.settings.priority == 120 && i.settings.version == .v2)
        #expect(i.settings.advertInterval == 2_000_000 && i.settings.noPreempt)
        #expect(i.settings.authType == .simplePassword && i.settings.authData == Array("secret".utf8) + [0, 0])
        #expect(i.settings.virtualAddresses == [VRRPAddress("10.0.0.100")!, VRRPAddress("10.0.0.101")!])
        #expect(i.addresses.map(\.advertised) == [true, true, false])
        #expect(i.addresses[0].device == "eth1" && i.addresses[0].address.label == "eth1:vip" && i.addresses[0].address.prefixLength == 24)
        #expect(i.addresses[1].address.prefixLength == 32 && i.addresses[1].device == nil)
        // The line's weight overrides the script's; the instance's own interface is tracked without a weight.
        #expect(i.tracking.scripts == [TrackedItem(name: "chk", weight: -30)])
        #expect(i.tracking.interfaces == [TrackedItem(name: "eth0", weight: 0), TrackedItem(name: "eth2", weight: 10)])
        #expect(i.notify.master?.arguments == ["/usr/local/bin/up.sh", "a", "b"] && i.notify.master?.user == "nobody")
        #expect(i.notify.generic?.arguments == ["/usr/local/bin/any.sh"])
        let chk = try #require(p.scripts["chk"])
        #expect(chk.interval == .seconds(2) && chk.rise == 2 && chk.fall == 3 && chk.program.timeout == .seconds(2))
    }

    @Test func unicastV3IPv6AndGlobalDefaults() throws {
        let p = try plan("""
            global_defs {
                vrrp_startup_delay 3
                vrrp_garp_master_repeat 2
            }
            vrrp_instance V6 {
                interface eth0
                virtual_router_id 7
                advert_int 0.25
                unicast_src_ip fe80::1
                unicast_peer {
                    fe80::2 min_ttl 200
                }
                virtual_ipaddress {
                    2001:db8::100/64
                }
                dont_track_primary
            }
            """).get()
        let i = try #require(p.instances.first)
        #expect(i.settings.family == .ipv6 && i.settings.version == .v3 && i.settings.advertInterval == 250_000)
        #expect(i.sourceGiven && i.settings.primaryAddress == VRRPAddress("fe80::1")!)
        #expect(i.settings.unicastPeers == [UnicastPeer(VRRPAddress("fe80::2")!, minTTL: 200)])
        #expect(i.settings.checkUnicastSource)
        #expect(i.settings.startupDelay == 3_000_000 && i.settings.garpMasterRepeat == 2)
        #expect(i.tracking.interfaces.isEmpty)
        // An IPv6 /64 VIP gets NODAD and keeps the default preferred lifetime.
        #expect(i.addresses.first?.address.flags == AddressFlags.noDAD && i.addresses.first?.address.preferredLifetime == nil)
    }

    @Test func syncGroupMembersLoseTrackingWeightsUnlessTold() throws {
        let text = """
            vrrp_script chk {
                script "/bin/true"
                weight 10
            }
            vrrp_sync_group G {
                group {
                    A
                    B
                }
                GROUP_OPTION
            }
            vrrp_instance A {
                interface eth0
                virtual_router_id 1
                virtual_ipaddress {
                    10.0.0.1
                }
                track_interface {
                    eth1 weight 5
                }
            }
            vrrp_instance B {
                interface eth0
                virtual_router_id 2
                virtual_ipaddress {
                    10.0.0.2
                }
            }
            """
        let without = try plan(text.replacingOccurrences(of: "GROUP_OPTION", with: "")).get()
        #expect(without.instances.map(\.syncGroup) == ["G", "G"])
        #expect(without.instances[0].tracking.interfaces.map(\.weight) == [0, 0])
        #expect(without.syncGroups == [SyncGroupPlan(name: "G", members: ["A", "B"], notify: NotifyPlan())])
        let with = try plan(text.replacingOccurrences(of: "GROUP_OPTION", with: "sync_group_tracking_weight")).get()
        #expect(with.instances[0].tracking.interfaces.map(\.weight) == [0, 5])
    }

    @Test func whatLvsdCannotRunIsRefusedWithTheLocation() throws {
        let text = """
            vrrp_instance A {
                interface eth0
                virtual_router_id 1
                authentication {
                    auth_type AH
                    auth_pass x
                }
                virtual_ipaddress {
                    10.0.0.1
                }
            }
            vrrp_instance B {
                interface eth0
                virtual_router_id 1
                virtual_ipaddress {
                    10.0.0.2
                }
            }
            vrrp_instance C {
                interface eth0
                virtual_router_id 1
                virtual_ipaddress {
                    10.0.0.3
                }
            }
            """
        let result = KeepalivedConfigParser.parse(text: text, file: "k.conf")
        guard case .failure(let problem) = VRRPPlanBuilder.plan(result.configuration) else {
            Issue.record("planned: \(result.diagnostics)")
            return
        }
        let lines = problem.description.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("k.conf:1: (A) authentication AH is not supported") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("k.conf:19: (C) virtual_router_id 1 on eth0 is already used by B") }, "\(lines)")
    }

    @Test func notifyDeletedWithAndWithoutAScript() throws {
        func deleted(_ line: String) throws -> NotifyPlan {
            try plan("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \(line)\n virtual_ipaddress {\n 10.0.0.100\n }\n}\n")
                .get().instances[0].notify
        }
        let none = try deleted("")
        #expect(!none.notifyDeleted && none.deleted == nil)
        let bare = try deleted("notify_deleted")
        #expect(bare.notifyDeleted && bare.deleted == nil)
        let script = try deleted("notify_deleted \"/usr/local/bin/gone.sh VI_1\"")
        #expect(script.notifyDeleted && script.deleted?.arguments == ["/usr/local/bin/gone.sh", "VI_1"])
    }

    /// notify_priority_changes: the instance's own setting, else its sync group's, else the global one.
    @Test func notifyPriorityChangesResolvesInstanceThenGroupThenGlobal() throws {
        func instance(_ n: Int, _ line: String) -> String {
            "vrrp_instance VI_\(n) {\n interface eth0\n virtual_router_id \(50 + n)\n \(line)\n virtual_ipaddress {\n 10.0.0.\(n)\n }\n}\n"
        }
        let p = try plan("global_defs {\n vrrp_notify_priority_changes\n}\n"
                         + "vrrp_sync_group G {\n group {\n VI_3\n VI_4\n }\n notify_priority_changes off\n}\n"
                         + instance(1, "") + instance(2, "notify_priority_changes false") + instance(3, "")
                         + instance(4, "notify_priority_changes yes")).get()
        #expect(p.instances.map(\.notifyPriorityChanges) == [true, false, false, true])
        let none = try plan(instance(1, "")).get()
        #expect(none.instances.map(\.notifyPriorityChanges) == [false])
        let bad = KeepalivedConfigParser.parse(text: instance(1, "notify_priority_changes maybe"), file: "k.conf")
        #expect(bad.diagnostics.contains { "\($0)".contains("k.conf:4") && "\($0)".contains("maybe") }, "\(bad.diagnostics)")
    }

    @Test func lvsSyncDaemonTakesTheFollowedInstancesVRID() throws {
        let p = try plan("""
            global_defs {
                lvs_sync_daemon eth1 VI_9 maxlen 1400
            }
            vrrp_instance VI_9 {
                interface eth0
                virtual_router_id 99
                virtual_ipaddress {
                    10.0.0.9
                }
            }
            """).get()
        #expect(p.syncDaemon == SyncDaemonPlan(interface: "eth1", instance: "VI_9", syncID: 99, maxLength: 1400, port: nil, ttl: nil, group: nil))
    }

    /// An ECMP director tier: `lvs_sync_daemon IFACE` without a VRRP instance is something to run (both daemons).
    @Test func lvsSyncDaemonWithoutInstanceIsNotEmpty() throws {
        let p = try plan("""
            global_defs {
                lvs_sync_daemon eth1 id 7
            }
            """).get()
        #expect(p.instances.isEmpty && !p.isEmpty)
        #expect(p.syncDaemon?.instance == nil && p.syncDaemon?.syncID == 7)
        #expect(try plan("global_defs {\n    router_id x\n}\n").get().isEmpty)
    }
}
