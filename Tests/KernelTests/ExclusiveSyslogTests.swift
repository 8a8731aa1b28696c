import Foundation
import Glibc
import Testing

/// Without `-l`, lvsd logs to syslog as keepalived does: datagrams to /dev/log, `<PRI>` with the facility `-S`
/// chose, ident `lvsd` and its pid; nothing on the console. Exclusive: the test owns /dev/log for its duration.
@Suite("Kernel: lvsd logs to syslog (exclusive)")
struct ExclusiveSyslogTests {
    @Test func linesReachDevLogWithTheChosenFacility() throws {
        let path = "/dev/log"
        #expect(!FileManager.default.fileExists(atPath: path), "something already serves /dev/log in the VM")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0, "bind /dev/log: \(String(cString: strerror(errno)))")

        let ns = try TestNamespace("syslog")
        let dir = try scratchDirectory("syslog")
        try ns.exec("/sbin/ip", ["addr", "add", "10.10.0.1/32", "dev", "lo"])
        let config = "\(dir)/keepalived.conf"
        try """
            virtual_server 10.10.0.1 80 {
                delay_loop 5
                lvs_sched rr
                lvs_method NAT
                protocol TCP
                real_server 10.10.0.2 80 {
                    TCP_CHECK {
                        connect_timeout 1
                    }
                }
            }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        // -S 3: LOG_LOCAL3 (19); info lines have priority 19 * 8 + 6 = 158.
        let daemon = try Background(ns, productPath("lvsd"), ["-n", "-S", "3", "-f", config, "-p", "\(dir)/lvsd.pid",
                                                              "--control-socket", "\(dir)/lvsd.sock"], log: "\(dir)/lvsd.log")
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(60)
        let wanted = "lvsd[\(daemon.pid)]: IPVS table programmed"
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline, !lines.contains(where: { $0.contains(wanted) }) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 500) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { lines.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        let ours = lines.filter { $0.contains("lvsd[\(daemon.pid)]: ") }
        let programmed = try #require(ours.first { $0.contains(wanted) }, "\(lines)")
        #expect(programmed.hasPrefix("<158>"), "\(programmed)")
        // `<PRI>Mmm dd hh:mm:ss lvsd[PID]: message`, as glibc's syslog(3) writes it.
        #expect(programmed.range(of: #"^<158>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d lvsd\[\d+\]: IPVS table programmed"#,
                                 options: .regularExpression) != nil, "\(programmed)")
        #expect(daemon.stop(SIGTERM))
        // Nothing went to the console without -l.
        #expect(!daemon.log.contains("IPVS table programmed"), "\(daemon.log)")
    }
}
