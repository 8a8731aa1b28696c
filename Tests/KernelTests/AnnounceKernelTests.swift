import Foundation
import Glibc
import Testing

/// lvsd's ECMP announcements on a real kernel: the VIP on the dummy interface `lvs0` exactly while the virtual
/// server's quorum is up, stale addresses removed at start, drain/undrain, withdrawal on SIGTERM and by
/// `lvsd withdraw`; and the director-tier sysctls. Exclusive: timing (checker intervals of 1 s in a TCG VM).
@Suite("Kernel: lvsd announce on a dummy interface (exclusive)")
struct ExclusiveAnnounceKernelTests {
    static let vip = "10.20.0.100"

    func addresses(_ ns: TestNamespace, _ device: String) -> String {
        (try? ns.exec("/sbin/ip", ["-o", "addr", "show", "dev", device]).stdout) ?? ""
    }

    func announced(_ ns: TestNamespace) -> Bool { addresses(ns, "lvs0").contains("inet \(Self.vip)/32") }

    func sysctl(_ ns: TestNamespace, _ name: String) -> String {
        ((try? ns.exec("/bin/cat", ["/proc/sys/net/ipv4/vs/\(name)"]).stdout) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func config() -> String {
        """
        global_defs {
            router_id announce-test
            lvsd_announce_interface lvs0
            lvsd_sloppy_tcp
            lvsd_schedule_icmp on
            lvsd_expire_nodest_conn yes
            lvsd_conntrack yes
            lvs_sync_daemon sync0 id 7
        }
        virtual_server \(Self.vip) 80 {
            delay_loop 1
            lvs_sched mh
            mh-port
            lvs_method NAT
            protocol TCP
            announce fall 1
            real_server 10.20.0.2 8080 {
                TCP_CHECK {
                    connect_timeout 1
                    retry 1
                    delay_before_retry 1
                }
            }
        }

        """
    }

    @Test func vipOnLvs0FollowsHealthDrainAndStop() throws {
        let ns = try TestNamespace("announce")
        let dir = try scratchDirectory("announce")
        try ns.exec("/sbin/ip", ["addr", "add", "10.20.0.2/32", "dev", "lo"])
        // A stale address from an earlier run: lvsd must remove it at start.
        try ns.exec("/sbin/ip", ["link", "add", "lvs0", "type", "dummy"])
        try ns.exec("/sbin/ip", ["addr", "add", "10.20.0.99/32", "dev", "lvs0"])
        // The sync daemon's interface (multicast-capable): with no VRRP instance, master and backup run at once.
        try ns.exec("/sbin/ip", ["link", "add", "sync0", "type", "veth", "peer", "name", "sync1"])
        try ns.exec("/sbin/ip", ["link", "set", "sync0", "up"])
        try ns.exec("/sbin/ip", ["link", "set", "sync1", "up"])
        let conf = "\(dir)/keepalived.conf"
        try config().write(toFile: conf, atomically: true, encoding: .utf8)
        var web: Background? = try Background(ns, "python3", ["-m", "http.server", "8080", "--bind", "10.20.0.2"], log: "\(dir)/web.log")
        #expect(waitUntil(20) { (try? ns.exec("curl", ["-s", "-o", "/dev/null", "--max-time", "1", "http://10.20.0.2:8080/"]).status) == 0 })
        let socket = "\(dir)/lvsd.sock"
        let lvsd = try Background(ns, productPath("lvsd"), ["-n", "-l", "-f", conf, "-p", "\(dir)/lvsd.pid",
                                                           "--control-socket", socket], log: "\(dir)/lvsd.log")
        defer { lvsd.stop(SIGKILL) }

        // Up: the VIP on lvs0 (a dummy link, up), the stale address gone, the VIP on lo as well.
        #expect(waitUntil(20) { announced(ns) }, "lvs0: \(addresses(ns, "lvs0"))\n\(lvsd.log)")
        #expect(waitUntil(5) { !addresses(ns, "lvs0").contains("10.20.0.99") }, "\(addresses(ns, "lvs0"))")
        let link = try ns.exec("/sbin/ip", ["-d", "link", "show", "lvs0"]).stdout
        #expect(link.contains("dummy") && link.contains("UP"), "\(link)")
        #expect(addresses(ns, "lo").contains("inet \(Self.vip)/32"))
        // The sysctls.
        for name in ["sloppy_tcp", "schedule_icmp", "expire_nodest_conn", "conntrack"] {
            #expect(sysctl(ns, name) == "1", "net.ipv4.vs.\(name)")
        }
        // The sync daemon in both modes.
        #expect(waitUntil(10) {
            let d = (try? ns.ipvsadm("-L", "--daemon")) ?? ""
            return d.contains("master sync daemon") && d.contains("backup sync daemon")
        }, "\((try? ns.ipvsadm("-L", "--daemon")) ?? "")\n\(lvsd.log)")
        // Status and metrics-side digest.
        let status = try ns.exec(productPath("lvsd"), ["status", "--json", "--socket", socket])
        #expect(status.status == 0)
        #expect(status.stdout.contains("\"scheduling_digest\""), "\(status.stdout)")
        #expect(status.stdout.contains("\"interface\" : \"lvs0\""), "\(status.stdout)")
        #expect(status.stdout.contains("\"net.ipv4.vs.sloppy_tcp\""), "\(status.stdout)")

        // Real server down: withdrawn (fall 1 s), still on lo.
        web?.stop(SIGKILL)
        web = nil
        let down = Date()
        #expect(waitUntil(20) { !announced(ns) }, "lvs0: \(addresses(ns, "lvs0"))\n\(lvsd.log)")
        print("announce: withdrawn \(String(format: "%.1f", Date().timeIntervalSince(down))) s after the real server stopped")
        #expect(addresses(ns, "lo").contains("inet \(Self.vip)/32"))
        #expect(lvsd.process.isRunning)

        // Back: announced again.
        web = try Background(ns, "python3", ["-m", "http.server", "8080", "--bind", "10.20.0.2"], log: "\(dir)/web2.log")
        #expect(waitUntil(30) { announced(ns) }, "lvs0: \(addresses(ns, "lvs0"))\n\(lvsd.log)")

        // Drain and undrain over the control socket.
        let drain = try ns.exec(productPath("lvsd"), ["drain", "--timeout", "5", "--socket", socket])
        #expect(drain.status == 0, "\(drain.stdout)\(drain.stderr)")
        #expect(!announced(ns), "\(drain.stdout)")
        #expect(drain.stdout.contains("no connection left"), "\(drain.stdout)")
        let undrain = try ns.exec(productPath("lvsd"), ["undrain", "--socket", socket])
        #expect(undrain.status == 0 && undrain.stdout.contains(Self.vip), "\(undrain.stdout)\(undrain.stderr)")
        #expect(waitUntil(5) { announced(ns) })

        // SIGTERM: withdrawn, the VIP left on lo.
        #expect(lvsd.stop(SIGTERM))
        #expect(!announced(ns), "lvs0 after SIGTERM: \(addresses(ns, "lvs0"))\n\(lvsd.log)")
        #expect(addresses(ns, "lo").contains("inet \(Self.vip)/32"))
        #expect(lvsd.log.contains("withdrawn from lvs0"), "\(lvsd.log)")

        // lvsd withdraw (the unit's ExecStopPost) clears what a killed lvsd would have left.
        try ns.exec("/sbin/ip", ["addr", "add", "\(Self.vip)/32", "dev", "lvs0"])
        let withdraw = try ns.exec(productPath("lvsd"), ["withdraw", "-f", conf, "-D"])
        #expect(withdraw.status == 0, "\(withdraw.stderr)")
        #expect(!announced(ns))
        web?.stop(SIGKILL)
    }
}
