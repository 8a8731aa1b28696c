import Foundation
import Glibc
import Testing

/// lvsd's VRRP against keepalived 2.2.7 on the wire, in both roles, and against itself: two namespaces joined by a
/// veth pair (10.0.0.1 and 10.0.0.2 on `eth0`), each running one daemon. Every timing bound is generous (the VM is
/// emulated and the suite runs in parallel); the measured figures come from bench/vrrp-bench.sh.
@Suite struct VRRPInteropKernelTests {
    static let vip = "10.0.0.100"
    static let v2 = """
        advert_int 1
        authentication {
            auth_type PASS
            auth_pass secret
        }
        virtual_ipaddress {
            10.0.0.100/24
        }
    """

    /// keepalived (100) holds the VIP; lvsd (150) joins and preempts it, keepalived logging the higher priority;
    /// a VIP deleted by hand on lvsd comes back; lvsd stopped sends priority 0 and keepalived takes over at once.
    @Test func lvsdPreemptsKeepalivedRestoresItsVIPAndResignsWithPriorityZero() throws {
        let pair = try VethPair("vp1")
        let ka = try VRRPNode(.keepalived, in: pair.a, label: "ka")
        let lvsd = try VRRPNode(.lvsd, in: pair.b, label: "lvsd")
        try ka.start(vrrpInstance("    priority 100\n" + Self.v2))
        #expect(try waitUntil(20) { try ka.holds(Self.vip) }, "\(ka.diagnostics)")
        try lvsd.start(vrrpInstance("    priority 150\n    NOTIFY\n" + Self.v2))
        let took = try waitUntil(30) { try lvsd.holds(Self.vip) && !(try ka.holds(Self.vip)) }
        #expect(took, "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(lvsd.log.contains("(VI_1) Entering BACKUP STATE (init)"))
        #expect(lvsd.log.contains("(VI_1) Entering MASTER STATE"), "\(lvsd.diagnostics)")
        #expect(ka.log.contains("(VI_1) Master received advert from 10.0.0.2 with higher priority 150, ours 100"), "\(ka.diagnostics)")
        let status = try lvsd.instance()
        #expect(status?["state"] as? String == "MASTER", "\(String(describing: status))")
        #expect(status?["effective_priority"] as? Int == 150)

        // Deleted by hand: restored.
        try pair.b.exec("/sbin/ip", ["addr", "del", "\(Self.vip)/24", "dev", "eth0"])
        #expect(try waitUntil(10) { try lvsd.holds(Self.vip) }, "VIP not restored\n\(lvsd.diagnostics)")
        #expect(lvsd.log.contains("VIP 10.0.0.100 was deleted from eth0: restoring it"))

        // Stopped: priority 0, keepalived takes over within skew time (0.6 s) plus slack.
        #expect(lvsd.stop())
        let (handedOver, seconds) = try timed { try waitUntil(10) { try ka.holds(Self.vip) } }
        #expect(handedOver && seconds < 5, "took \(seconds) s\n\(ka.diagnostics)")
        #expect(ka.log.contains("(VI_1) Backup received priority 0 advertisement"), "\(ka.diagnostics)")
        #expect(try !lvsd.holds(Self.vip))
        #expect(lvsd.notifications.contains("INSTANCE VI_1 BACKUP 150"), "\(lvsd.notifications)")
        #expect(lvsd.notifications.contains("INSTANCE VI_1 MASTER 150"), "\(lvsd.notifications)")
        #expect(lvsd.notifications.contains("INSTANCE VI_1 STOP 150"), "\(lvsd.notifications)")
        ka.stop()
    }

    /// VRRPv3 at 0.5 s: lvsd (100) is master until keepalived (200) preempts it; keepalived frozen (SIGSTOP), lvsd
    /// takes over within the master-down interval; keepalived thawed, its first advert sends lvsd back to BACKUP.
    /// The veth's carrier lost: lvsd's own interface is tracked, FAULT, then BACKUP when it comes back.
    @Test func keepalivedPreemptsLvsdMasterDownAndLinkTracking() throws {
        let pair = try VethPair("vp2")
        let lvsd = try VRRPNode(.lvsd, in: pair.a, label: "lvsd")
        let ka = try VRRPNode(.keepalived, in: pair.b, label: "ka")
        let v3 = "    version 3\n    advert_int 0.5\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n"
        try lvsd.start(vrrpInstance("    priority 100\n    NOTIFY\n" + v3))
        #expect(try waitUntil(20) { try lvsd.holds(Self.vip) }, "\(lvsd.diagnostics)")
        try ka.start(vrrpInstance("    priority 200\n" + v3))
        #expect(try waitUntil(20) { try ka.holds(Self.vip) && !(try lvsd.holds(Self.vip)) }, "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(lvsd.log.contains("(VI_1) Master received advert from 10.0.0.2 with higher priority 200, ours 100"), "\(lvsd.diagnostics)")
        #expect(lvsd.log.contains("(VI_1) Entering BACKUP STATE"))

        // Master-down at 0.5 s, priority 100: 3 × 0.5 + (156 × 50 × 625 / 16) µs ≈ 1.8 s.
        ka.signalVRRP(SIGSTOP)
        let (took, seconds) = try timed { try waitUntil(15) { try lvsd.holds(Self.vip) } }
        #expect(took && seconds < 8, "took \(seconds) s\n\(lvsd.diagnostics)")
        ka.signalVRRP(SIGCONT)
        #expect(try waitUntil(20) { try !lvsd.holds(Self.vip) }, "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(try waitUntil(10) { try ka.holds(Self.vip) }, "\(ka.diagnostics)")

        try pair.b.exec("/sbin/ip", ["link", "set", "eth0", "down"])
        #expect(try waitUntil(10) { lvsd.log.contains("(VI_1) Entering FAULT STATE") }, "\(lvsd.diagnostics)")
        #expect(lvsd.log.contains("Netlink reports eth0 down"))
        try pair.b.exec("/sbin/ip", ["link", "set", "eth0", "up"])
        #expect(try waitUntil(10) { lvsd.notifications.last == "INSTANCE VI_1 BACKUP 100" }, "\(lvsd.diagnostics)")
        #expect(lvsd.notifications.contains("INSTANCE VI_1 FAULT 100"), "\(lvsd.notifications)")
        ka.stop()
        lvsd.stop()
    }

    /// IPv6, VRRPv3 from link-local sources: lvsd (150) master, keepalived (100) backup; lvsd killed (-9), keepalived
    /// takes over within master-down; lvsd back removes what its killed predecessor left and preempts.
    @Test func ipv6LvsdMasterKeepalivedBackupAndKillNine() throws {
        let pair = try VethPair("vp3")
        let lvsd = try VRRPNode(.lvsd, in: pair.a, label: "lvsd")
        let ka = try VRRPNode(.keepalived, in: pair.b, label: "ka")
        let v6 = "    advert_int 0.5\n    virtual_ipaddress {\n        2001:db8::100/64\n    }\n"
        try ka.start(vrrpInstance("    priority 100\n" + v6))
        try lvsd.start(vrrpInstance("    priority 150\n" + v6))
        #expect(try waitUntil(30) { try lvsd.holds("2001:db8::100") && !(try ka.holds("2001:db8::100")) },
                "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        let status = try lvsd.instance()
        #expect(status?["version"] as? Int == 3)
        #expect((status?["adverts_sent"] as? Int ?? 0) > 0)
        lvsd.kill9()
        #expect(try waitUntil(15) { try ka.holds("2001:db8::100") }, "\(ka.diagnostics)")
        #expect(try lvsd.holds("2001:db8::100"), "a killed daemon leaves its VIP, as keepalived's does")
        try lvsd.start(vrrpInstance("    priority 150\n" + v6))
        #expect(try waitUntil(30) { try lvsd.holds("2001:db8::100") && !(try ka.holds("2001:db8::100")) },
                "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(lvsd.log.contains("(VI_1) Entering BACKUP STATE (init)"), "the restart begins in BACKUP")
        lvsd.stop()
        ka.stop()
    }

    /// Unicast, v2: keepalived (100) is master; lvsd (150, nopreempt) joins and stays BACKUP, having removed the
    /// VIP left on its host; lvsd reports BACKUP with keepalived as master.
    @Test func unicastNopreemptLeavesTheRunningMaster() throws {
        let pair = try VethPair("vp4")
        let ka = try VRRPNode(.keepalived, in: pair.a, label: "ka")
        let lvsd = try VRRPNode(.lvsd, in: pair.b, label: "lvsd")
        func unicast(_ me: String, _ peer: String, _ extra: String) -> String {
            vrrpInstance("    state BACKUP\n\(extra)    unicast_src_ip \(me)\n    unicast_peer {\n        \(peer)\n    }\n" + Self.v2)
        }
        try ka.start(unicast("10.0.0.1", "10.0.0.2", "    priority 100\n"))
        #expect(try waitUntil(20) { try ka.holds(Self.vip) }, "\(ka.diagnostics)")
        try pair.b.exec("/sbin/ip", ["addr", "add", "\(Self.vip)/24", "dev", "eth0"])  // left by a killed predecessor
        try lvsd.start(unicast("10.0.0.2", "10.0.0.1", "    priority 150\n    nopreempt\n"))
        #expect(try waitUntil(20) { lvsd.log.contains("(VI_1) Entering BACKUP STATE (init)") }, "\(lvsd.diagnostics)")
        #expect(try waitUntil(10) { try !lvsd.holds(Self.vip) }, "the leftover VIP was not removed\n\(lvsd.diagnostics)")
        sleep(5)
        #expect(try ka.holds(Self.vip) && !(try lvsd.holds(Self.vip)), "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        let status = try lvsd.instance()
        #expect(status?["state"] as? String == "BACKUP", "\(String(describing: status))")
        #expect(status?["master_address"] as? String == "10.0.0.1")
        #expect((status?["adverts_received"] as? Int ?? 0) >= 3)
        lvsd.stop()
        ka.stop()
    }

    /// VRRPv3 over IPv4 unicast, keepalived's checksum quirk (the pseudo-header with the peer's address): lvsd
    /// (150) preempts keepalived (100) and neither side logs a bad checksum; lvsd stopped, keepalived takes over.
    @Test func v3UnicastIPv4ChecksumsAgreeBothWays() throws {
        let pair = try VethPair("vp7")
        let ka = try VRRPNode(.keepalived, in: pair.a, label: "ka")
        let lvsd = try VRRPNode(.lvsd, in: pair.b, label: "lvsd")
        func unicast(_ me: String, _ peer: String, _ priority: Int) -> String {
            vrrpInstance("    version 3\n    advert_int 0.5\n    priority \(priority)\n    unicast_src_ip \(me)\n"
                         + "    unicast_peer {\n        \(peer)\n    }\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n")
        }
        try ka.start(unicast("10.0.0.1", "10.0.0.2", 100))
        #expect(try waitUntil(20) { try ka.holds(Self.vip) }, "\(ka.diagnostics)")
        try lvsd.start(unicast("10.0.0.2", "10.0.0.1", 150))
        #expect(try waitUntil(20) { try lvsd.holds(Self.vip) && !(try ka.holds(Self.vip)) }, "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        sleep(2)
        #expect(!ka.log.contains("checksum") && !lvsd.log.contains("checksum"), "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(try lvsd.instance()?["drops"] as? [String: Int] ?? [:] == [:])
        #expect(lvsd.stop())
        #expect(try waitUntil(10) { try ka.holds(Self.vip) }, "\(ka.diagnostics)")
        ka.stop()
    }

    /// Two lvsd: a vrrp_script with weight -60 failing on the master (150 → 90) moves the VIP to the backup (120);
    /// passing again moves it back. The priority change is logged in keepalived's words.
    @Test func trackScriptMovesTheVIPBetweenTwoLvsd() throws {
        let pair = try VethPair("vp5")
        let a = try VRRPNode(.lvsd, in: pair.a, label: "a")
        let b = try VRRPNode(.lvsd, in: pair.b, label: "b")
        let flag = "\(a.dir)/healthy"
        FileManager.default.createFile(atPath: flag, contents: nil)
        let script = "vrrp_script chk {\n    script \"/usr/bin/test -e \(flag)\"\n    interval 1\n    weight -60\n}\n"
        let v3 = "    version 3\n    advert_int 0.5\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n"
        try a.start(script + vrrpInstance("    priority 150\n    track_script {\n        chk\n    }\n" + v3))
        #expect(try waitUntil(20) { try a.holds(Self.vip) }, "\(a.diagnostics)")
        try b.start(vrrpInstance("    priority 120\n" + v3))
        #expect(try waitUntil(20) { b.log.contains("(VI_1) Entering BACKUP STATE (init)") }, "\(b.diagnostics)")
        sleep(2)
        #expect(try a.holds(Self.vip) && !(try b.holds(Self.vip)), "\(a.diagnostics)\n\(b.diagnostics)")
        try FileManager.default.removeItem(atPath: flag)
        #expect(try waitUntil(20) { try b.holds(Self.vip) && !(try a.holds(Self.vip)) }, "\(a.diagnostics)\n\(b.diagnostics)")
        #expect(a.log.contains("VRRP_Script(chk) failed (exited with status 1)"), "\(a.diagnostics)")
        #expect(a.log.contains("(VI_1) Changing effective priority from 150 to 90"), "\(a.diagnostics)")
        #expect(try a.instance()?["effective_priority"] as? Int == 90)
        FileManager.default.createFile(atPath: flag, contents: nil)
        #expect(try waitUntil(20) { try a.holds(Self.vip) && !(try b.holds(Self.vip)) }, "\(a.diagnostics)\n\(b.diagnostics)")
        #expect(a.log.contains("VRRP_Script(chk) succeeded"))
        a.stop()
        b.stop()
    }

    /// A mismatch keepalived is silent about (advert_int 1 against 2): both sides keep the VIP; lvsd says split
    /// brain once, with the cause, and counts it.
    @Test func splitBrainFromAnIntervalMismatchIsReported() throws {
        let pair = try VethPair("vp6")
        let lvsd = try VRRPNode(.lvsd, in: pair.a, label: "lvsd")
        let ka = try VRRPNode(.keepalived, in: pair.b, label: "ka")
        // lvsd first: keepalived, joining as BACKUP, drops lvsd's adverts, times out and claims MASTER too. (The
        // other way round keepalived yields to the higher priority despite the mismatch.)
        try lvsd.start(vrrpInstance("    priority 150\n" + Self.v2))
        #expect(try waitUntil(20) { try lvsd.holds(Self.vip) }, "\(lvsd.diagnostics)")
        try ka.start(vrrpInstance("    priority 100\n" + Self.v2.replacingOccurrences(of: "advert_int 1", with: "advert_int 2")))
        #expect(try waitUntil(30) { try lvsd.holds(Self.vip) && (try ka.holds(Self.vip)) }, "\(lvsd.diagnostics)\n\(ka.diagnostics)")
        #expect(try waitUntil(10) { lvsd.log.contains("split brain") }, "\(lvsd.diagnostics)")
        let lines = lvsd.log.split(separator: "\n").filter { $0.contains("split brain") }
        #expect(lines.count == 1, "one line per cause: \(lines)")
        #expect(lines.first?.contains("advert interval") == true)
        let status = try lvsd.instance()
        #expect((status?["split_brain"] as? [String: Int])?["advert interval"] ?? 0 >= 1, "\(String(describing: status))")
        #expect((status?["drops"] as? [String: Int])?["interval_mismatch"] ?? 0 >= 1)
        lvsd.stop()
        ka.stop()
    }
}
