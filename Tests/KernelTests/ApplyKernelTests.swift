import Foundation
import Testing

/// `lvsctl apply` against the kernel: the plan it prints is what it does, it touches only what differs, it leaves
/// services outside the file alone unless `--prune`, and a file with any error applies nothing.
@Suite("Kernel: lvsctl apply")
struct ApplyKernelTests {
    /// Writes `text` to a fresh file and returns its path.
    private func file(_ text: String, _ name: String) throws -> String {
        let dir = "/tmp/lvsctl-apply-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func apply(_ ns: TestNamespace, _ args: [String]) throws -> Run {
        try ns.exec(lvsctlPath, ["apply"] + args)
    }

    private static let start = """
        -A -t 10.1.0.1:80 -s wlc
        -a -t 10.1.0.1:80 -r 192.168.1.1:80 -m -w 1
        -a -t 10.1.0.1:80 -r 192.168.1.2:80 -m -w 1
        -A -t 10.1.0.2:443 -s rr
        -a -t 10.1.0.2:443 -r 192.168.2.1:443 -g -w 3
        -A -u 10.1.0.9:53 -s rr
        -a -u 10.1.0.9:53 -r 192.168.9.1:53 -m -w 1

        """

    @Test func ipvsadmFormatTouchesOnlyWhatDiffers() throws {
        let ns = try TestNamespace("apply")
        try ns.ipvsadm("-R", stdin: Self.start)
        // A weight change, a removed and an added destination, a scheduler change, and a new service; the UDP
        // service is not in the file.
        let desired = try file("""
            # desired table
            -A -t 10.1.0.1:80 -s wlc
            -a -t 10.1.0.1:80 -r 192.168.1.1:80 -m -w 5
            -a -t 10.1.0.1:80 -r 192.168.1.3:80 -m -w 1
            -A -t 10.1.0.2:443 -s wrr
            -a -t 10.1.0.2:443 -r 192.168.2.1:443 -g -w 3
            -A -f 7 -s sh -b sh-port
            -a -f 7 -r 192.168.7.1:0 -g -w 1

            """, "table")
        let plan = try apply(ns, ["--dry-run", desired])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout == """
            -d -t 10.1.0.1:80 -r 192.168.1.2:80
            -e -t 10.1.0.1:80 -r 192.168.1.1:80 -m -w 5
            -a -t 10.1.0.1:80 -r 192.168.1.3:80 -m -w 1
            -E -t 10.1.0.2:443 -s wrr
            -A -f 7 -s sh -b sh-port
            -a -f 7 -r 192.168.7.1:0 -g -w 1

            """, "the plan: edits, not delete-and-add; nothing for unchanged entries")
        let before = try ns.ipvsadm("-Sn")
        #expect(before.contains("-a -t 10.1.0.1:80 -r 192.168.1.2:80 -m -w 1"), "a dry run changes nothing")

        let applied = try apply(ns, [desired])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try ns.ipvsadm("-Sn") == """
            -A -t 10.1.0.1:80 -s wlc
            -a -t 10.1.0.1:80 -r 192.168.1.1:80 -m -w 5
            -a -t 10.1.0.1:80 -r 192.168.1.3:80 -m -w 1
            -A -t 10.1.0.2:443 -s wrr
            -a -t 10.1.0.2:443 -r 192.168.2.1:443 -g -w 3
            -A -u 10.1.0.9:53 -s rr
            -a -u 10.1.0.9:53 -r 192.168.9.1:53 -m -w 1
            -A -f 7 -s sh -b sh-port
            -a -f 7 -r 192.168.7.1:0 -g -w 1

            """)

        // Applied again: nothing left to do.
        let again = try apply(ns, ["--dry-run", desired])
        #expect(again.status == 0 && again.stdout.isEmpty, "\(again.stdout)")
        // --prune removes the service the file does not name.
        let pruned = try apply(ns, ["--prune", desired])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(try !ns.ipvsadm("-Sn").contains("10.1.0.9"))
    }

    @Test func keepalivedConfInput() throws {
        let ns = try TestNamespace("applyka")
        try ns.ipvsadm("-R", stdin: Self.start)
        let conf = try file("""
            ! a director's keepalived.conf: the VRRP part is not lvsctl's business
            global_defs {
                router_id LVS_A
            }
            vrrp_instance VI_1 {
                state MASTER
                interface eth0
                virtual_router_id 51
                priority 100
                virtual_ipaddress {
                    10.1.0.1
                }
            }
            virtual_server 10.1.0.1 80 {
                delay_loop 6
                lb_algo wlc
                lb_kind NAT
                protocol TCP
                real_server 192.168.1.1 80 {
                    weight 4
                    TCP_CHECK {
                        connect_timeout 3
                    }
                }
                real_server 192.168.1.2 80 {
                    weight 1
                    HTTP_GET {
                        url {
                            path /
                            status_code 200
                        }
                    }
                }
            }
            virtual_server fwmark 9 {
                lb_algo rr
                lb_kind DR
                persistence_timeout 300
                real_server 192.168.9.9 0 {
                    weight 2
                }
            }

            """, "keepalived.conf")
        let plan = try apply(ns, ["--dry-run", conf])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout == """
            -e -t 10.1.0.1:80 -r 192.168.1.1:80 -m -w 4
            -A -f 9 -s rr -p 300
            -a -f 9 -r 192.168.9.9:0 -g -w 2

            """)
        let applied = try apply(ns, [conf])
        #expect(applied.status == 0, "\(applied.stderr)")
        let table = try ns.ipvsadm("-Sn")
        #expect(table.contains("-a -t 10.1.0.1:80 -r 192.168.1.1:80 -m -w 4"))
        #expect(table.contains("-A -f 9 -s rr -p 300\n-a -f 9 -r 192.168.9.9:0 -g -w 2"))
        #expect(table.contains("-A -t 10.1.0.2:443 -s rr"), "services outside the file stay without --prune")
        let again = try apply(ns, ["--dry-run", conf])
        #expect(again.status == 0 && again.stdout.isEmpty, "\(again.stdout)")
    }

    @Test func aFileWithAnyErrorAppliesNothing() throws {
        let ns = try TestNamespace("applybad")
        try ns.ipvsadm("-R", stdin: Self.start)
        let before = try ns.ipvsadm("-Sn")

        // keepalived.conf: a bad forwarding method on line 9; the good virtual server before it must not be
        // applied either.
        let conf = try file("""
            virtual_server 10.1.0.5 80 {
                lb_algo rr
                lb_kind NAT
                protocol TCP
                real_server 192.168.5.1 80 {
                }
            }
            virtual_server 10.1.0.7 80 {
                lb_kind BANANA
                real_server 192.168.7.1 80 {
                }
            }

            """, "bad.conf")
        let r = try apply(ns, [conf])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(conf):9"), "the error names file and line: \(r.stderr)")
        #expect(r.stderr.contains("nothing applied"))
        #expect(try ns.ipvsadm("-Sn") == before)

        // ipvsadm format: a bad line after good ones.
        let table = try file("""
            -A -t 10.1.0.6:80 -s rr
            -a -t 10.1.0.6:80 -r 192.168.6.1:80 -m -w 1
            -a -t 10.1.0.6:80 -r 192.168.6.2:80 -m -w lots

            """, "bad.table")
        let r2 = try apply(ns, [table])
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("bad.table"), "\(r2.stderr)")
        #expect(try ns.ipvsadm("-Sn") == before)

        // Garbage bytes: no virtual_server in them, so nothing to apply (and --prune must not empty the table).
        let garbage = try file(String(decoding: (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }, as: UTF8.self), "garbage")
        let r3 = try apply(ns, ["--prune", garbage])
        #expect(r3.status == 2, "\(r3.stdout) \(r3.stderr)")
        #expect(try ns.ipvsadm("-Sn") == before)
    }
}
