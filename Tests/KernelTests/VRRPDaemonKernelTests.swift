import Foundation
import Glibc
import Testing

/// lvsd's VRRP as a daemon: sync groups against keepalived, reloads that keep the state, and the IPVS sync
/// daemon following the instance.
@Suite struct VRRPDaemonKernelTests {
    static func groupConfig(priority: Int, script: String?) -> String {
        let track = script.map { "    track_script {\n        \($0)\n    }\n" } ?? ""
        let definition = script.map { "vrrp_script \($0) {\n    script \"/usr/bin/test -e FLAG\"\n    interval 1\n}\n" } ?? ""
        return definition + """
            vrrp_sync_group G {
                group {
                    VI_1
                    VI_2
                }
                NOTIFY
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
                priority \(priority)
                advert_int 1
                virtual_ipaddress {
                    10.0.0.100/24
                }
            }
            vrrp_instance VI_2 {
                interface eth0
                virtual_router_id 52
                priority \(priority)
                advert_int 1
                virtual_ipaddress {
                    10.0.0.101/24
                }
            \(track)}

            """
    }

    /// A sync group on both sides: lvsd (150) holds both VIPs; VI_2's script failing drags VI_1 to FAULT too and
    /// keepalived takes both; passing again, lvsd takes both back. Group notifies carry GROUP and priority 0.
    @Test func syncGroupMovesTogetherAgainstKeepalived() throws {
        let pair = try VethPair("vg1")
        let lvsd = try VRRPNode(.lvsd, in: pair.a, label: "lvsd")
        let ka = try VRRPNode(.keepalived, in: pair.b, label: "ka")
        let flag = "\(lvsd.dir)/ok"
        FileManager.default.createFile(atPath: flag, contents: nil)
        try ka.start(Self.groupConfig(priority: 100, script: nil).replacingOccurrences(of: "NOTIFY", with: ""))
        try lvsd.start(Self.groupConfig(priority: 150, script: "chk").replacingOccurrences(of: "FLAG", with: flag))
        func both(_ n: VRRPNode) throws -> Bool { try n.holds("10.0.0.100") && n.holds("10.0.0.101") }
        #expect(try waitUntil(30) { try both(lvsd) && !(try ka.holds("10.0.0.100")) && !(try ka.holds("10.0.0.101")) },
                "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(try waitUntil(10) { lvsd.notifications.contains("GROUP G MASTER 0") }, "\(lvsd.notifications)")
        try FileManager.default.removeItem(atPath: flag)
        #expect(try waitUntil(20) { try both(ka) && !(try lvsd.holds("10.0.0.100")) && !(try lvsd.holds("10.0.0.101")) },
                "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(lvsd.log.contains("VRRP_Group(G) Syncing instances to FAULT state"), "\(lvsd.diagnostics)")
        #expect(try waitUntil(10) { lvsd.notifications.contains("GROUP G FAULT 0") }, "\(lvsd.notifications)")
        FileManager.default.createFile(atPath: flag, contents: nil)
        #expect(try waitUntil(30) { try both(lvsd) && !(try ka.holds("10.0.0.100")) }, "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        lvsd.stop()
        ka.stop()
    }

    /// `lvsd reload` with a new priority and one more VIP keeps a MASTER in MASTER (no transition), adds and
    /// announces the VIP; removing a VIP deletes it; a configuration the VRRP part cannot run is refused and
    /// changes nothing.
    @Test func reloadAppliesVIPAndPriorityEditsWithoutATransition() throws {
        let pair = try VethPair("vg2")
        let lvsd = try VRRPNode(.lvsd, in: pair.a, label: "lvsd")
        func config(_ priority: Int, _ vips: [String], auth: String = "") -> String {
            vrrpInstance("    priority \(priority)\n    advert_int 1\n\(auth)    virtual_ipaddress {\n"
                         + vips.map { "        \($0)/24\n" }.joined() + "    }\n")
        }
        try lvsd.start(config(100, ["10.0.0.100"]))
        #expect(try waitUntil(20) { try lvsd.holds("10.0.0.100") }, "\(lvsd.diagnostics)")
        let before = try #require(try lvsd.instance())
        let file = "\(lvsd.dir)/lvsd.conf"
        try config(120, ["10.0.0.100", "10.0.0.101"]).write(toFile: file, atomically: true, encoding: .utf8)
        let reload = try pair.a.exec(productPath("lvsd"), ["reload", "--socket", lvsd.socket])
        #expect(reload.status == 0, "\(reload.stdout)\(reload.stderr)")
        #expect(try waitUntil(10) { try lvsd.holds("10.0.0.101") && lvsd.holds("10.0.0.100") }, "\(lvsd.diagnostics)")
        let after = try #require(try lvsd.instance())
        #expect(after["state"] as? String == "MASTER")
        #expect(after["transitions"] as? Int == before["transitions"] as? Int, "\(after)")
        #expect(after["effective_priority"] as? Int == 120)
        #expect(lvsd.log.contains("(VI_1) reconfigured by reload without a state change (priority 100 -> 120, VIPs +1 -0)"), "\(lvsd.diagnostics)")

        try config(120, ["10.0.0.101"]).write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try pair.a.exec(productPath("lvsd"), ["reload", "--socket", lvsd.socket]).status == 0)
        #expect(try waitUntil(10) { try !lvsd.holds("10.0.0.100") && lvsd.holds("10.0.0.101") }, "\(lvsd.diagnostics)")

        let ah = "    authentication {\n        auth_type AH\n        auth_pass x\n    }\n"
        try config(50, ["10.0.0.102"], auth: ah).write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try pair.a.exec(productPath("lvsd"), ["reload", "--socket", lvsd.socket])
        #expect(refused.status != 0)
        #expect((refused.stdout + refused.stderr).contains("authentication AH is not supported"), "\(refused.stdout)\(refused.stderr)")
        sleep(1)
        #expect(try lvsd.holds("10.0.0.101") && !(try lvsd.holds("10.0.0.102")))
        #expect(try lvsd.instance()?["effective_priority"] as? Int == 120)
        lvsd.stop()
    }

    /// A reload that removes instances (keepalived's clear_diff_vrrp): a MASTER gives up its VIPs; one with
    /// `notify_deleted` notifies DELETED, one without notifies FAULT (keepalived's old way). lvsd and keepalived,
    /// each reloaded, send the same notifications.
    @Test(arguments: VRRPNode.Kind.allCases) func reloadRemovingInstancesNotifiesAsKeepalived(_ kind: VRRPNode.Kind) throws {
        let pair = try VethPair("vd\(kind.rawValue.prefix(1))")
        let node = try VRRPNode(kind, in: pair.a, label: "del")
        func instance(_ n: Int, _ extra: String) -> String {
            "vrrp_instance VI_\(n) {\n    interface eth0\n    virtual_router_id \(50 + n)\n    priority 100\n    advert_int 1\n"
                + "    NOTIFY\n\(extra)    virtual_ipaddress {\n        10.0.0.\(100 + n)/24\n    }\n}\n"
        }
        try node.start(instance(1, "") + instance(2, "    notify_deleted\n") + instance(3, ""), extra: kind == .lvsd ? ["-P"] : [])
        #expect(try waitUntil(40) { try node.holds("10.0.0.101") && node.holds("10.0.0.102") && node.holds("10.0.0.103") },
                "\(node.diagnostics)")
        // The file as start() wrote it, with VI_2 and VI_3 gone.
        let file = "\(node.dir)/\(kind.rawValue).conf"
        let written = try String(contentsOfFile: file, encoding: .utf8)
        let kept = String(written[..<(try #require(written.range(of: "vrrp_instance VI_2"))).lowerBound])
        try kept.write(toFile: file, atomically: true, encoding: .utf8)
        node.process?.signal(SIGHUP)
        #expect(try waitUntil(30) { try !node.holds("10.0.0.102") && !node.holds("10.0.0.103") }, "\(node.diagnostics)")
        #expect(try node.holds("10.0.0.101"))
        #expect(waitUntil(10) { node.notifications.contains("INSTANCE VI_2 DELETED 100") && node.notifications.contains("INSTANCE VI_3 FAULT 100") },
                "\(node.diagnostics)")
        #expect(!node.notifications.contains { $0.hasPrefix("INSTANCE VI_1 ") && !$0.hasSuffix("MASTER 100") && !$0.hasSuffix("BACKUP 100") },
                "\(node.notifications)")
        node.stop()
    }

    /// `lvs_sync_daemon eth0 VI_1`: the IPVS backup sync daemon runs at start, the master one while VI_1 is MASTER,
    /// and the backup one again once keepalived (higher priority) takes over.
    @Test func ipvsSyncDaemonFollowsTheInstance() throws {
        let pair = try VethPair("vg3")
        let lvsd = try VRRPNode(.lvsd, in: pair.a, label: "lvsd")
        let ka = try VRRPNode(.keepalived, in: pair.b, label: "ka")
        let instance = "    priority PRIO\n    advert_int 1\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n"
        try lvsd.start("global_defs {\n    lvs_sync_daemon eth0 VI_1\n}\n" + vrrpInstance(instance.replacingOccurrences(of: "PRIO", with: "100")))
        func daemons() throws -> String { try pair.a.ipvsadm("-L", "--daemon") }
        #expect(try waitUntil(20) { try lvsd.holds("10.0.0.100") }, "\(lvsd.diagnostics)")
        #expect(try waitUntil(10) { try daemons().contains("master sync daemon (mcast=eth0, syncid=51,") }, "\((try? daemons()) ?? "")\n\(lvsd.diagnostics)")
        #expect(try !daemons().contains("backup sync daemon"))
        try ka.start(vrrpInstance(instance.replacingOccurrences(of: "PRIO", with: "200")))
        #expect(try waitUntil(20) { try !lvsd.holds("10.0.0.100") }, "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(try waitUntil(10) { try daemons().contains("backup sync daemon (mcast=eth0, syncid=51,") && !(try daemons().contains("master sync daemon")) },
                "\((try? daemons()) ?? "")")
        lvsd.stop()
        #expect(try waitUntil(10) { try daemons().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }, "stopped lvsd leaves \((try? daemons()) ?? "")")
        ka.stop()
    }

    /// keepalived's `vrrp_sync_can_goto_master`: a sync group prefers BACKUP. The master (keepalived, 200, no
    /// group) loses VI_1 to a failing script (priority 0, then silence) but keeps advertising VI_2; the backup
    /// (100, VI_1 and VI_2 in one group) must keep both in BACKUP: VI_1 wants MASTER, VI_2 still hears its master.
    /// Run with lvsd and with keepalived as that backup: both hold neither VIP; once VI_2's master goes too, both
    /// VIPs move together.
    @Test(arguments: VRRPNode.Kind.allCases) func aGroupMemberThatStillHearsItsMasterHoldsTheGroupInBackup(_ kind: VRRPNode.Kind) throws {
        let pair = try VethPair("vh\(kind.rawValue.prefix(1))")
        let master = try VRRPNode(.keepalived, in: pair.a, label: "m")
        let backup = try VRRPNode(kind, in: pair.b, label: "b")
        let flag = "\(master.dir)/ok"
        FileManager.default.createFile(atPath: flag, contents: nil)
        let masterConfig = """
            vrrp_script chk {
                script "/usr/bin/test -e \(flag)"
                interval 2
                timeout 10
                fall 1
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
                priority 200
                advert_int 1
                virtual_ipaddress {
                    10.0.0.100/24
                }
                track_script {
                    chk
                }
            }
            vrrp_instance VI_2 {
                interface eth0
                virtual_router_id 52
                priority 200
                advert_int 1
                virtual_ipaddress {
                    10.0.0.101/24
                }
            }

            """
        try master.start(masterConfig)
        #expect(try waitUntil(40) { try master.holds("10.0.0.100") && master.holds("10.0.0.101") }, "\(master.diagnostics)")
        try backup.start(Self.groupConfig(priority: 100, script: nil).replacingOccurrences(of: "NOTIFY", with: ""),
                         extra: kind == .lvsd ? ["-P"] : [])
        #expect(waitUntil(40) { backup.log.contains("(VI_1) Entering BACKUP STATE") && backup.log.contains("(VI_2) Entering BACKUP STATE") },
                "\(backup.diagnostics)")
        try FileManager.default.removeItem(atPath: flag)
        #expect(try waitUntil(30) { !(try master.holds("10.0.0.100")) }, "\(master.diagnostics)")
        // Well past VI_1's master-down interval (3.6 s; sooner after the priority-0 advert): still BACKUP.
        sleep(8)
        #expect(try !backup.holds("10.0.0.100") && !backup.holds("10.0.0.101"), "\(backup.diagnostics)")
        #expect(!backup.log.contains("Entering MASTER STATE"), "\(backup.diagnostics)")
        #expect(try master.holds("10.0.0.101"), "\(master.diagnostics)")
        // VI_2's master goes too: now every member wants MASTER and the group moves.
        master.stop()
        #expect(try waitUntil(40) { try backup.holds("10.0.0.100") && backup.holds("10.0.0.101") }, "\(backup.diagnostics)")
        backup.stop()
    }
}

/// `static_ipaddress` and `static_routes`: on the host whatever the VRRP state, diffed by a reload, gone at stop.
@Suite struct VRRPStaticEntriesKernelTests {
    static func config(routes: [String]) -> String {
        """
        static_ipaddress {
            10.9.0.1/24 dev eth0
        }
        static_routes {
        \(routes.map { "    \($0)\n" }.joined())}
        vrrp_instance VI_1 {
            state BACKUP
            interface eth0
            virtual_router_id 51
            priority 100
            advert_int 1
            virtual_ipaddress {
                10.0.0.100/24
            }
        }

        """
    }

    /// lvsd and keepalived alike: the static address and routes (tagged with keepalived's protocol 18) are there
    /// while the instance is still BACKUP; a reload that drops one route removes only it; SIGTERM removes the rest.
    @Test(arguments: VRRPNode.Kind.allCases) func staticAddressesAndRoutesFollowTheConfiguration(_ kind: VRRPNode.Kind) throws {
        let pair = try VethPair("vs\(kind.rawValue.prefix(1))")
        let node = try VRRPNode(kind, in: pair.a, label: "static")
        func routes() throws -> String {
            try pair.a.exec("/sbin/ip", ["route", "show", "table", "all", "proto", "18"]).stdout
        }
        try node.start(Self.config(routes: ["10.77.0.0/16 via 10.0.0.254 dev eth0", "blackhole 10.88.0.0/16 table 100"]),
                       extra: kind == .lvsd ? ["-P"] : [])
        #expect(try waitUntil(20) { try node.holds("10.9.0.1") }, "\(node.diagnostics)")
        #expect(try waitUntil(10) {
            let r = try routes()
            return r.contains("10.77.0.0/16 via 10.0.0.254 dev eth0") && r.contains("blackhole 10.88.0.0/16 table 100")
        }, "\((try? routes()) ?? "")\n\(node.diagnostics)")
        #expect(try !node.holds("10.0.0.100"), "static entries do not wait for MASTER")

        let file = "\(node.dir)/\(kind.rawValue).conf"
        try Self.config(routes: ["10.77.0.0/16 via 10.0.0.254 dev eth0"]).write(toFile: file, atomically: true, encoding: .utf8)
        node.process?.signal(SIGHUP)
        #expect(try waitUntil(20) { try !routes().contains("10.88.0.0/16") }, "\((try? routes()) ?? "")\n\(node.diagnostics)")
        #expect(try routes().contains("10.77.0.0/16 via 10.0.0.254 dev eth0"))
        #expect(try node.holds("10.9.0.1"))

        #expect(node.stop(), "\(node.diagnostics)")
        #expect(try routes().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "left behind: \((try? routes()) ?? "")")
        #expect(try !node.holds("10.9.0.1"), "static address left behind")
    }
}

/// The notify FIFO, track_file and keepalived's -P / -C split, on one lvsd each.
@Suite struct VRRPFifoFileAndFlagsKernelTests {
    /// `vrrp_notify_fifo` gets keepalived's lines; a `vrrp_track_file` number moves the effective priority, which
    /// `vrrp_notify_priority_changes` reports as a `MASTER_PRIORITY` line. lvsd and keepalived alike.
    @Test(arguments: VRRPNode.Kind.allCases) func fifoLinesAndTrackFilePriority(_ kind: VRRPNode.Kind) throws {
        let pair = try VethPair("vf\(kind.rawValue.prefix(1))")
        let node = try VRRPNode(kind, in: pair.a, label: "fifo")
        let fifo = "\(node.dir)/vrrp.fifo", file = "\(node.dir)/weight"
        try node.start("""
            global_defs {
                vrrp_notify_fifo \(fifo)
                vrrp_notify_priority_changes
            }
            vrrp_track_file tf {
                file \(file)
                weight 1
                init_file 0
            }
            """ + vrrpInstance("    priority 100\n    advert_int 1\n    track_file {\n        tf\n    }\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n"),
            extra: kind == .lvsd ? ["-P"] : [])
        #expect(try waitUntil(40) { try node.holds("10.0.0.100") }, "\(node.diagnostics)")
        #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "0\n", "init_file wrote the file")
        func drain() -> [String] {
            let fd = open(fifo, O_RDONLY | O_NONBLOCK)
            guard fd >= 0 else { return ["(no FIFO)"] }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buffer, buffer.count)
            return String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).split(separator: "\n").map(String.init)
        }
        let first = drain()
        #expect(first == ["INSTANCE \"VI_1\" BACKUP 100", "INSTANCE \"VI_1\" MASTER 100"], "\(first)")
        try "-30\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(waitUntil(20) { node.log.contains("(VI_1) Changing effective priority from 100 to 70") }, "\(node.diagnostics)")
        var second: [String] = []
        #expect(waitUntil(5) { second += drain(); return !second.isEmpty }, "\(node.diagnostics)")
        #expect(second == ["INSTANCE \"VI_1\" MASTER_PRIORITY 70"], "\(second)")
        if kind == .lvsd { #expect(try node.instance()?["effective_priority"] as? Int == 70) }
        node.stop()
    }

    /// One file with a virtual server and a VRRP instance: `-P` takes the VIP and leaves the table alone, `-C`
    /// programs the table and leaves the VIP alone.
    @Test func vrrpOnlyAndCheckersOnly() throws {
        let pair = try VethPair("vf2")
        let config = vrrpInstance("    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n") + """
            virtual_server 10.0.0.100 80 {
                lb_algo rr
                protocol TCP
                lb_kind DR
                real_server 10.0.0.2 80 {
                    weight 1
                }
            }

            """
        let vrrpOnly = try VRRPNode(.lvsd, in: pair.a, label: "p")
        try vrrpOnly.start(config, extra: ["-P"])
        #expect(try waitUntil(20) { try vrrpOnly.holds("10.0.0.100") }, "\(vrrpOnly.diagnostics)")
        #expect(try pair.a.ipvsadm("-Sn").isEmpty, "-P leaves the IPVS table alone")
        vrrpOnly.stop()
        let checkersOnly = try VRRPNode(.lvsd, in: pair.b, label: "c")
        try checkersOnly.start(config, extra: ["-C"])
        #expect(try waitUntil(20) { try pair.b.ipvsadm("-Sn").contains("-A -t 10.0.0.100:80 -s rr") }, "\(checkersOnly.diagnostics)")
        sleep(5)
        #expect(try !checkersOnly.holds("10.0.0.100"), "-C runs no VRRP")
        #expect(!checkersOnly.log.contains("(VI_1)"))
        checkersOnly.stop()
    }
}
