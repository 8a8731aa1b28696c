import Foundation
import Glibc
import Testing

/// HTTP_GET `regex` and the checkers' notify FIFOs, lvsd side by side with keepalived 2.2.7 on one configuration:
/// two python3 http.server real servers in a namespace, one URL whose regex matches and one whose regex keepalived
/// never matches (`</html>$` at the end of the body: PCRE2's partial match), the first real server going down and
/// up. Both daemons must write the same `VS`/`RS` lines to `lvs_notify_fifo`, the same to `notify_fifo` through
/// its reader script, and leave the same table.
@Suite("Checker FIFO and regex, lvsd and keepalived", .serialized, .timeLimit(.minutes(10)))
struct CheckerFifoRegexKernelTests {
    enum Daemon: String, CaseIterable, Sendable { case lvsd, keepalived }

    struct Outcome {
        var lvsFifo: [String]
        var scriptLines: [String]
        var table: Set<String>
        var log: String
    }

    private static func drain(_ path: String) -> [String] {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return [] }  // not created yet
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer.prefix(n)
        }
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    private func run(_ daemon: Daemon) throws -> Outcome {
        let pair = try VethPair("rx\(daemon.rawValue.prefix(1))")
        let dir = try scratchDirectory("regex-fifo-\(daemon.rawValue)")
        let www = "\(dir)/www"
        try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        try "<html>status: 200 OK</html>\n".write(toFile: "\(www)/index.html", atomically: true, encoding: .utf8)
        func server(_ port: Int) throws -> Background {
            try Background(pair.b, "/usr/bin/python3", ["-m", "http.server", String(port), "--bind", "10.0.0.2",
                                                       "--directory", www], log: "\(dir)/http-\(port).log")
        }
        func listening(_ port: Int) -> Bool {
            ((try? pair.b.exec("/bin/ss", ["-Hltn", "sport = :\(port)"]).stdout) ?? "").contains("10.0.0.2:\(port)")
        }
        var web1 = try server(8080)
        let web2 = try server(8081)
        #expect(waitUntil(20) { listening(8080) && listening(8081) }, "http.server did not start")
        let reader = "\(dir)/reader.sh"
        try "#!/bin/sh\nexec cat \"$1\" >> \(dir)/script.out\n".write(toFile: reader, atomically: true, encoding: .utf8)
        chmod(reader, 0o755)
        let lvsFifo = "\(dir)/lvs.fifo"
        let config = """
            global_defs {
                notify_fifo \(dir)/all.fifo
                notify_fifo_script \(reader)
                lvs_notify_fifo \(lvsFifo)
            }
            virtual_server 10.0.0.100 80 {
                delay_loop 1
                lb_algo rr
                lb_kind NAT
                protocol TCP
                real_server 10.0.0.2 8080 {
                    weight 1
                    HTTP_GET {
                        url {
                            path /index.html
                            regex "status: [[:digit:]]+ OK"
                        }
                        connect_timeout 2
                        retry 1
                        delay_before_retry 1
                    }
                }
                real_server 10.0.0.2 8081 {
                    weight 1
                    HTTP_GET {
                        url {
                            path /index.html
                            regex "</html>$"
                        }
                        connect_timeout 2
                        retry 1
                        delay_before_retry 1
                    }
                }
            }

            """
        let file = "\(dir)/\(daemon.rawValue).conf"
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        let process: Background = switch daemon {
        case .lvsd:
            try Background(pair.a, productPath("lvsd"), ["-n", "-l", "-D", "-f", file, "-p", "\(dir)/lvsd.pid",
                                                         "--control-socket", "\(dir)/lvsd.sock"], log: "\(dir)/lvsd.log")
        case .keepalived:
            try Background(pair.a, "keepalived", ["-n", "-l", "-D", "-C", "-f", file, "-p", "\(dir)/ka.pid",
                                                  "-c", "\(dir)/ka-check.pid", "-r", "\(dir)/ka-vrrp.pid"],
                           log: "\(dir)/keepalived.log")
        }
        var lines: [String] = []
        let rs1 = "RS [10.0.0.2]:tcp:8080 [10.0.0.100]:tcp:80"
        let rs2 = "RS [10.0.0.2]:tcp:8081 [10.0.0.100]:tcp:80"
        // The second URL's regex never matches: its real server goes down.
        #expect(waitUntil(40) { lines += Self.drain(lvsFifo); return lines.contains("\(rs2) DOWN") },
                "\(daemon): \(lines)\n\(process.log)")
        sleep(3)
        lines += Self.drain(lvsFifo)
        web1.stop(SIGKILL, within: 10)  // SIGTERM is blocked in processes Foundation starts
        #expect(waitUntil(40) { lines += Self.drain(lvsFifo); return lines.contains("\(rs1) DOWN") },
                "\(daemon): \(lines)\n\(process.log)")
        web1 = try server(8080)
        #expect(waitUntil(40) { lines += Self.drain(lvsFifo); return lines.contains("\(rs1) UP") },
                "\(daemon): \(lines)\n\(process.log)")
        sleep(3)
        lines += Self.drain(lvsFifo)
        let table = try ipvsSet(pair.a)
        process.stop(SIGTERM, within: 20)
        web1.stop(SIGKILL, within: 5)
        web2.stop(SIGKILL, within: 5)
        _ = waitUntil(5) { ((try? String(contentsOfFile: "\(dir)/script.out", encoding: .utf8)) ?? "").contains("\(rs1) UP") }
        let script = ((try? String(contentsOfFile: "\(dir)/script.out", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
        return Outcome(lvsFifo: lines, scriptLines: script, table: table, log: process.log)
    }

    private func ipvsSet(_ ns: TestNamespace) throws -> Set<String> {
        Set(try ns.ipvsadm("-Sn").split(separator: "\n").map(String.init))
    }

    @Test func sameLinesAndTableAsKeepalived() throws {
        let reference = try run(.keepalived)
        let ours = try run(.lvsd)
        let rs1 = "RS [10.0.0.2]:tcp:8080 [10.0.0.100]:tcp:80"
        let rs2 = "RS [10.0.0.2]:tcp:8081 [10.0.0.100]:tcp:80", vs = "VS [10.0.0.100]:tcp:80"
        #expect(reference.lvsFifo == ["\(vs) UP", "\(rs2) DOWN", "\(rs1) DOWN", "\(vs) DOWN", "\(rs1) UP", "\(vs) UP"],
                "keepalived: \(reference.lvsFifo)\n\(reference.log)")
        #expect(ours.lvsFifo == reference.lvsFifo, "lvsd \(ours.lvsFifo)\nkeepalived \(reference.lvsFifo)\n\(ours.log)")
        // The reader script gets the same lines through notify_fifo, up to the point each daemon stopped at.
        let common = min(ours.scriptLines.count, reference.scriptLines.count, reference.lvsFifo.count)
        #expect(common >= 3, "script lines: lvsd \(ours.scriptLines), keepalived \(reference.scriptLines)")
        #expect(Array(ours.scriptLines.prefix(common)) == Array(reference.scriptLines.prefix(common)),
                "lvsd \(ours.scriptLines)\nkeepalived \(reference.scriptLines)")
        #expect(ours.table == reference.table, "lvsd \(ours.table)\nkeepalived \(reference.table)")
        #expect(ours.table.contains { $0.contains("-r 10.0.0.2:8080") })
        #expect(!ours.table.contains { $0.contains("-r 10.0.0.2:8081") })
    }
}
