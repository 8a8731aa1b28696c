import Foundation
import Glibc
import Testing

/// lvsd against real servers in a private network namespace, and the same scenario against keepalived from
/// Debian's package: good HTTP, wrong body, closed port, a server that accepts and never answers, TLS.
/// Exclusive: timing-sensitive (checker intervals of 1 s in a TCG VM), so it runs without other tests' load.
@Suite("Kernel: lvsd end to end (exclusive)")
struct ExclusiveLvsdEndToEndTests {
    /// The scenario's servers and configuration, in namespace `ns` under directory `dir`.
    struct Scenario {
        let ns: TestNamespace
        let dir: String
        var servers: [String: Background] = [:]

        init(_ label: String) throws {
            ns = try TestNamespace(label)
            dir = try scratchDirectory(label)
            try ns.exec("/sbin/ip", ["addr", "add", "10.10.0.1/32", "dev", "lo"])
            try ns.exec("/sbin/ip", ["addr", "add", "10.10.0.2/32", "dev", "lo"])
            try FileManager.default.createDirectory(atPath: "\(dir)/www", withIntermediateDirectories: true)
            try "ok-1\n".write(toFile: "\(dir)/www/index.html", atomically: true, encoding: .utf8)
            let cert = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rs.test",
                                                     "-days", "1", "-keyout", "\(dir)/key.pem", "-out", "\(dir)/cert.pem"])
            guard cert.status == 0 else { throw TestFailure("openssl req: \(cert.stderr)") }
        }

        mutating func startGoodHTTP() throws {
            servers["good"] = try Background(ns, "python3", ["-m", "http.server", "8001", "--bind", "10.10.0.2", "--directory", "\(dir)/www"], log: "\(dir)/good.log")
        }

        mutating func startAll() throws {
            try startGoodHTTP()
            // Answers 200 with a body whose MD5 is not the configured digest.
            servers["wrong"] = try Background(ns, "python3", ["-m", "http.server", "8002", "--bind", "10.10.0.2", "--directory", "\(dir)/www"], log: "\(dir)/wrong.log")
            // Accepts and never answers.
            servers["silent"] = try Background(ns, "python3", ["-c", """
                import socket, time
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("10.10.0.2", 8004)); s.listen(64); held = []
                while True: held.append(s.accept())
                """], log: "\(dir)/silent.log")
            servers["tls"] = try Background(ns, "openssl", ["s_server", "-accept", "10.10.0.2:8443", "-cert", "\(dir)/cert.pem", "-key", "\(dir)/key.pem", "-www", "-quiet"], log: "\(dir)/tls.log")
            // Port 8003 stays closed.
            #expect(waitUntil(30) { (try? ns.exec("curl", ["-s", "-o", "/dev/null", "--max-time", "1", "http://10.10.0.2:8001/"]).status) == 0 })
        }

        func config() -> String {
            """
            ! the lvsd end-to-end scenario
            global_defs {
                router_id kernel-suite
            }
            virtual_server 10.10.0.1 80 {
                delay_loop 1
                lvs_sched rr
                lvs_method NAT
                protocol TCP
                real_server 10.10.0.2 8001 {
                    weight 2
                    inhibit_on_failure
                    HTTP_GET {
                        url {
                            path /
                            digest \(md5("ok-1\n"))
                        }
                        connect_timeout 1
                        retry 1
                        delay_before_retry 1
                    }
                }
                real_server 10.10.0.2 8002 {
                    weight 1
                    HTTP_GET {
                        url {
                            path /
                            digest 00000000000000000000000000000000
                        }
                        connect_timeout 1
                        delay_before_retry 1
                    }
                }
                real_server 10.10.0.2 8003 {
                    weight 1
                    inhibit_on_failure
                    TCP_CHECK {
                        connect_timeout 1
                    }
                }
                real_server 10.10.0.2 8004 {
                    weight 1
                    HTTP_GET {
                        url {
                            path /
                        }
                        connect_timeout 1
                        delay_before_retry 1
                    }
                }
                real_server 10.10.0.2 8443 {
                    weight 1
                    SSL_GET {
                        url {
                            path /
                        }
                        connect_timeout 2
                        delay_before_retry 1
                    }
                }
            }

            """
        }

        func write(_ text: String, to name: String) throws -> String {
            let path = "\(dir)/\(name)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static let steadyState: Set<String> = [
        "-A -t 10.10.0.1:80 -s rr",
        "-a -t 10.10.0.1:80 -r 10.10.0.2:8001 -m -w 2",
        "-a -t 10.10.0.1:80 -r 10.10.0.2:8003 -m -w 0",
        "-a -t 10.10.0.1:80 -r 10.10.0.2:8443 -m -w 1",
    ]

    enum Daemon: String, CaseIterable { case lvsd, keepalived }

    func startDaemon(_ which: Daemon, _ s: Scenario, config: String) throws -> Background {
        switch which {
        case .lvsd:
            return try Background(s.ns, productPath("lvsd"), ["-n", "-l", "-f", config, "-p", "\(s.dir)/lvsd.pid",
                                                               "--control-socket", "\(s.dir)/lvsd.sock",
                                                               "--metrics-address", "10.10.0.1:9595"], log: "\(s.dir)/lvsd.log")
        case .keepalived:
            return try Background(s.ns, "keepalived", ["-n", "-l", "-C", "-f", config, "-p", "\(s.dir)/ka.pid", "-c", "\(s.dir)/ka-check.pid",
                                                        "--vrrp_pid", "\(s.dir)/ka-vrrp.pid"], log: "\(s.dir)/keepalived.log")
        }
    }

    /// Detection of every failure kind, inhibit versus removal, recovery; lvsd and keepalived reach the same table.
    @Test(arguments: Daemon.allCases)
    func detectsFailuresAndRecovers(_ which: Daemon) throws {
        var s = try Scenario("e2e-\(which.rawValue)")
        try s.startAll()
        let daemon = try startDaemon(which, s, config: try s.write(s.config(), to: "keepalived.conf"))
        let steady = try waitUntil(40) { try savedTable(s.ns) == Self.steadyState }
        #expect(steady, "\(which) table: \(table(s.ns))\n\(daemon.log)")

        // The good server stops: inhibited to weight 0, kept in the table.
        s.servers["good"]?.stop(SIGKILL)
        let inhibited = try waitUntil(30) { try savedTable(s.ns).contains("-a -t 10.10.0.1:80 -r 10.10.0.2:8001 -m -w 0") }
        #expect(inhibited, "\(which): \(table(s.ns))")
        // It comes back: its weight returns.
        try s.startGoodHTTP()
        let recovered = try waitUntil(30) { try savedTable(s.ns) == Self.steadyState }
        #expect(recovered, "\(which): \(table(s.ns))")

        #expect(daemon.stop(SIGTERM))
        // Both daemons remove what they added at shutdown.
        #expect(try waitUntil(10) { try savedTable(s.ns).isEmpty })
    }

    /// SIGHUP applies only the difference (counters survive), a broken config is refused whole, kill -9 leaves the
    /// table, the next start adopts it without resetting anything, and SIGTERM cleans up.
    @Test func reloadAdoptAndCleanup() throws {
        var s = try Scenario("e2e-reload")
        try s.startGoodHTTP()
        let single = """
            virtual_server 10.10.0.1 80 {
                delay_loop 1
                lvs_sched wrr
                lvs_method NAT
                protocol TCP
                real_server 10.10.0.2 8001 {
                    weight 3
                    TCP_CHECK {
                        connect_timeout 1
                    }
                }
            }

            """
        let config = try s.write(single, to: "keepalived.conf")
        var daemon = try startDaemon(.lvsd, s, config: config)
        #expect(try waitUntil(30) { try savedTable(s.ns).contains("-a -t 10.10.0.1:80 -r 10.10.0.2:8001 -m -w 3") }, "\(daemon.log)")

        // Real traffic, so the service has counters to lose.
        var served = 0
        for _ in 0..<40 where served < 5 {
            let r = try s.ns.exec("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "http://10.10.0.1/"])
            if r.stdout == "200" { served += 1 } else { usleep(250_000) }
        }
        #expect(served == 5, "\(daemon.log)")
        let key = "TCP  10.10.0.1:80"
        func connections() throws -> UInt64 {
            let line = try s.ns.ipvsadm("-Ln", "--stats", "--exact").split(separator: "\n").first { $0.hasPrefix(key) }
            return line.flatMap { $0.split(separator: " ").dropFirst(2).first.flatMap { UInt64($0) } } ?? 0
        }
        #expect(try waitUntil(15) { try connections() >= 5 }, "\((try? s.ns.ipvsadm("-Ln", "--stats", "--exact")) ?? "")")

        // The outward faces: Prometheus metrics, the status socket, SIGUSR1.
        let scrape = try s.ns.exec("curl", ["-s", "--max-time", "5", "http://10.10.0.1:9595/metrics"])
        #expect(scrape.stdout.contains("lvsd_real_server_up{"), "\(scrape.stdout.prefix(2000))")
        #expect(scrape.stdout.contains("lvsd_real_server_weight{"), "\(scrape.stdout.prefix(2000))")
        #expect(scrape.stdout.contains("lvsd_service_connections_total{"), "\(scrape.stdout.prefix(3000))")
        let status = try s.ns.exec(productPath("lvsd"), ["status", "--json", "--socket", "\(s.dir)/lvsd.sock"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"[10.10.0.1]:tcp:80\""), "\(status.stdout)")
        #expect(status.stdout.contains("10.10.0.2:8001"), "\(status.stdout)")
        let noDaemon = try s.ns.exec(productPath("lvsd"), ["status", "--socket", "\(s.dir)/nobody.sock"])
        #expect(noDaemon.status == 1)
        #expect(noDaemon.stderr.contains("\(s.dir)/nobody.sock"), "\(noDaemon.stderr)")
        daemon.signal(SIGUSR1)
        #expect(waitUntil(10) { daemon.log.contains("10.10.0.2:8001") && daemon.log.contains("[10.10.0.1]:tcp:80") }, "\(daemon.log)")

        // Weight edit by SIGHUP: in place.
        _ = try s.write(single.replacingOccurrences(of: "weight 3", with: "weight 9"), to: "keepalived.conf")
        daemon.signal(SIGHUP)
        #expect(try waitUntil(20) { try savedTable(s.ns).contains("-a -t 10.10.0.1:80 -r 10.10.0.2:8001 -m -w 9") }, "\(daemon.log)")
        #expect(try connections() >= 5)

        // A broken config is refused; nothing changes and lvsd keeps running.
        _ = try s.write(single.replacingOccurrences(of: "weight 3", with: "weight banana"), to: "keepalived.conf")
        daemon.signal(SIGHUP)
        #expect(waitUntil(10) { daemon.log.contains("Reload refused") }, "\(daemon.log)")
        #expect(daemon.process.isRunning)
        #expect(try savedTable(s.ns).contains("-a -t 10.10.0.1:80 -r 10.10.0.2:8001 -m -w 9"))

        // `lvsd reload` says the truth: refused (exit 1, the file's line named), the table as it was; then applied.
        let tableBefore = try savedTable(s.ns)
        let refused = try s.ns.exec(productPath("lvsd"), ["reload", "--socket", "\(s.dir)/lvsd.sock"])
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("refused") && refused.stderr.contains("keepalived.conf:"), "\(refused.stderr)")
        #expect(try savedTable(s.ns) == tableBefore)
        #expect(daemon.process.isRunning)
        _ = try s.write(single.replacingOccurrences(of: "weight 3", with: "weight 8"), to: "keepalived.conf")
        let applied = try s.ns.exec(productPath("lvsd"), ["reload", "--socket", "\(s.dir)/lvsd.sock"])
        #expect(applied.status == 0, "\(applied.stdout) \(applied.stderr)")
        #expect(applied.stdout.hasPrefix("reloaded"), "\(applied.stdout)")
        #expect(try savedTable(s.ns).contains("-a -t 10.10.0.1:80 -r 10.10.0.2:8001 -m -w 8"), "\(table(s.ns))")
        _ = try s.write(single.replacingOccurrences(of: "weight 3", with: "weight 9"), to: "keepalived.conf")
        #expect(try s.ns.exec(productPath("lvsd"), ["reload", "--socket", "\(s.dir)/lvsd.sock"]).status == 0)
        #expect(try savedTable(s.ns).contains("-a -t 10.10.0.1:80 -r 10.10.0.2:8001 -m -w 9"), "\(table(s.ns))")
        // /healthz answers from the director loop's heartbeat.
        let health = try s.ns.exec("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://10.10.0.1:9595/healthz"])
        #expect(health.stdout == "200", "\(health.stdout)")

        // kill -9 leaves the table as it was; a new lvsd adopts it without re-creating anything.
        _ = try s.write(single.replacingOccurrences(of: "weight 3", with: "weight 9"), to: "keepalived.conf")
        let before = try savedTable(s.ns)
        #expect(daemon.stop(SIGKILL))
        #expect(try savedTable(s.ns) == before)
        daemon = try startDaemon(.lvsd, s, config: config)
        #expect(waitUntil(60) { daemon.log.contains("Starting lvsd") }, "\(daemon.log)")
        usleep(2_000_000)
        #expect(try savedTable(s.ns) == before)
        #expect(try connections() >= 5, "adoption must not re-create the service")

        // A reload that replaces the real server takes the old one's series out of /metrics.
        func scrapeLines() throws -> [Substring] {
            try s.ns.exec("curl", ["-s", "--max-time", "5", "http://10.10.0.1:9595/metrics"]).stdout
                .split(separator: "\n").filter { $0.hasPrefix("lvsd_real_server") || $0.hasPrefix("lvsd_check_duration") }
        }
        #expect(try waitUntil(10) { try scrapeLines().contains { $0.contains(":8001") } })
        _ = try s.write(single.replacingOccurrences(of: "8001", with: "8005"), to: "keepalived.conf")
        daemon.signal(SIGHUP)
        // (8005 has no server: its series exist from the reload on, whatever its checks say.)
        #expect(try waitUntil(20) { try scrapeLines().contains { $0.contains(":8005") } }, "\(daemon.log)")
        let after = try scrapeLines()
        #expect(!after.contains { $0.contains(":8001") }, "\(after.joined(separator: "\n"))")

        #expect(daemon.stop(SIGTERM))
        #expect(try savedTable(s.ns).isEmpty)
    }
}

/// The saved table for a failure message.
func table(_ ns: TestNamespace) -> String {
    ((try? savedTable(ns)) ?? []).sorted().joined(separator: "\n")
}

/// The MD5 hex digest of `text`, via openssl (the test target does not link a crypto library).
func md5(_ text: String) -> String {
    guard let r = try? run("/usr/bin/openssl", ["dgst", "-md5", "-r"], stdin: text) else { return "" }
    return String(r.stdout.prefix(32))
}
