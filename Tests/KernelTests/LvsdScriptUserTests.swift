import Foundation
import Glibc
import Testing

/// lvsd runs notify scripts through its one program runner: as the `username [groupname]` the line names.
@Suite("Kernel: lvsd scripts as their user")
struct LvsdScriptUserTests {
    @Test func notifyDownRunsAsTheNamedUser() throws {
        let ns = try TestNamespace("e2e-user")
        let dir = try scratchDirectory("e2e-user")
        try ns.exec("/sbin/ip", ["addr", "add", "10.10.0.1/32", "dev", "lo"])
        try ns.exec("/sbin/ip", ["addr", "add", "10.10.0.2/32", "dev", "lo"])
        // The script writes its uid and gid where nobody may write; it is root-owned and not writable by others.
        chmod(dir, 0o777)
        let script = "\(dir)/notify.sh"
        try "#!/bin/sh\n/usr/bin/id -u > \(dir)/uid.$1\n/usr/bin/id -g > \(dir)/gid.$1\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let config = """
            virtual_server 10.10.0.1 80 {
                delay_loop 1
                lvs_sched rr
                lvs_method NAT
                protocol TCP
                real_server 10.10.0.2 8009 {
                    weight 1
                    notify_down "\(script) down" nobody nogroup
                    TCP_CHECK {
                        connect_timeout 1
                        retry 0
                    }
                }
            }

            """
        let path = "\(dir)/keepalived.conf"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let daemon = try Background(ns, productPath("lvsd"), ["-n", "-l", "-f", path, "-p", "\(dir)/lvsd.pid",
                                                              "--control-socket", "\(dir)/lvsd.sock"], log: "\(dir)/lvsd.log")
        // Port 8009 is closed: the check fails and notify_down runs, as nobody:nogroup.
        #expect(waitUntil(60) { FileManager.default.fileExists(atPath: "\(dir)/gid.down") }, "\(daemon.log)")
        #expect(waitUntil(10) {
            (try? String(contentsOfFile: "\(dir)/gid.down", encoding: .utf8)) == "65534\n"
        }, "\(daemon.log)")
        #expect((try? String(contentsOfFile: "\(dir)/uid.down", encoding: .utf8)) == "65534\n", "\(daemon.log)")
        #expect(daemon.stop(SIGTERM))
    }
}
