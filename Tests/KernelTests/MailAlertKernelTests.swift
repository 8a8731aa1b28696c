import Foundation
import Glibc
import Testing

/// lvsd's SMTP alerts against a real mail server (Debian's python3-aiosmtpd) in a network namespace, and the same
/// scenario against keepalived 2.2.7 from Debian's package: a TCP_CHECK'd real server goes down and comes back,
/// and the mails received (envelope, headers, subjects, bodies) are compared with keepalived's texts.
@Suite("Kernel: alert mails")
struct MailAlertKernelTests {
    enum Daemon: String, CaseIterable { case lvsd, keepalived }

    /// One received mail: the envelope and the message as aiosmtpd got them.
    struct Mail: CustomStringConvertible {
        var helo = "", from = "", to = ""
        var headers: [String: String] = [:]
        var headerOrder: [String] = []
        var body = ""
        var subject: String { headers["Subject"] ?? "" }
        var description: String { "\(subject) / \(body)" }

        /// Parses the file the mail server's handler wrote.
        init(file text: String) {
            let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            var i = 0
            while i < lines.count, !lines[i].isEmpty {
                let (key, value) = Self.split(lines[i])
                switch key {
                case "HELO": helo = value
                case "MAIL FROM": from = value
                case "RCPT TO": to = value
                default: break
                }
                i += 1
            }
            i += 1
            while i < lines.count, !lines[i].isEmpty {
                let (key, value) = Self.split(lines[i])
                headers[key] = value
                headerOrder.append(key)
                i += 1
            }
            body = lines.dropFirst(i + 1).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        static func split(_ line: Substring) -> (String, String) {
            guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    /// aiosmtpd with a handler that writes each message (envelope first) to `DIR/mail-N.txt`, atomically.
    static let server = """
        import os, sys, time
        from aiosmtpd.controller import Controller

        class Keep:
            count = 0
            async def handle_DATA(self, server, session, envelope):
                Keep.count += 1
                path = os.path.join(sys.argv[1], "mail-%03d.txt" % Keep.count)
                with open(path + ".tmp", "wb") as f:
                    f.write(("HELO: %s\\nMAIL FROM: %s\\nRCPT TO: %s\\n\\n" % (session.host_name, envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
                    f.write(envelope.original_content)
                os.rename(path + ".tmp", path)
                return "250 OK queued"

        controller = Controller(Keep(), hostname="10.10.0.3", port=2525)
        controller.start()
        print("ready", flush=True)
        while True:
            time.sleep(3600)
        """

    static func config(router: String) -> String {
        """
        global_defs {
            router_id \(router)
            notification_email {
                ops@example.com
                noc@example.com
            }
            notification_email_from lvsd@example.com
            smtp_server 10.10.0.3 2525
            smtp_helo_name director.test
            smtp_connect_timeout 5
        }
        virtual_server 10.10.0.1 80 {
            delay_loop 1
            lvs_sched rr
            lvs_method NAT
            protocol TCP
            smtp_alert
            real_server 10.10.0.2 8001 {
                weight 1
                TCP_CHECK {
                    connect_timeout 1
                    retry 1
                    delay_before_retry 1
                }
            }
        }

        """
    }

    func mails(in dir: String) -> [Mail] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
        return names.compactMap { try? String(contentsOfFile: "\(dir)/\($0)", encoding: .utf8) }.map(Mail.init(file:))
    }

    @Test(arguments: Daemon.allCases)
    func aRealServerGoingDownAndBackIsMailed(_ which: Daemon) throws {
        let ns = try TestNamespace("smtp-\(which.rawValue)")
        let dir = try scratchDirectory("smtp-\(which.rawValue)")
        let maildir = "\(dir)/mail"
        try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
        for a in ["10.10.0.1", "10.10.0.2", "10.10.0.3"] { try ns.exec("/sbin/ip", ["addr", "add", "\(a)/32", "dev", "lo"]) }
        try Self.server.write(toFile: "\(dir)/smtpd.py", atomically: true, encoding: .utf8)
        let smtpd = try Background(ns, "/usr/bin/python3", ["\(dir)/smtpd.py", maildir], log: "\(dir)/smtpd.log")
        #expect(waitUntil(30) { smtpd.log.contains("ready") }, "\(smtpd.log)")
        var rs = try Background(ns, "/usr/bin/python3", ["-m", "http.server", "8001", "--bind", "10.10.0.2"], log: "\(dir)/rs.log")
        #expect(waitUntil(30) { (try? ns.exec("curl", ["-s", "-o", "/dev/null", "--max-time", "1", "http://10.10.0.2:8001/"]).status) == 0 })

        let router = "kernel-\(which.rawValue)"
        let configPath = "\(dir)/keepalived.conf"
        try Self.config(router: router).write(toFile: configPath, atomically: true, encoding: .utf8)
        let daemon: Background = switch which {
        case .lvsd:
            try Background(ns, productPath("lvsd"), ["-n", "-l", "-f", configPath, "-p", "\(dir)/lvsd.pid",
                                                     "--control-socket", "\(dir)/lvsd.sock"], log: "\(dir)/daemon.log")
        case .keepalived:
            try Background(ns, "keepalived", ["-n", "-l", "-C", "-f", configPath, "-p", "\(dir)/ka.pid", "-c", "\(dir)/ka-check.pid",
                                              "--vrrp_pid", "\(dir)/ka-vrrp.pid"], log: "\(dir)/daemon.log")
        }
        let vsSubject = "[\(router)] Virtualserver [10.10.0.1]:tcp:80 - "
        let rsSubject = "[\(router)] Realserver [10.10.0.2]:tcp:8001 of virtual server [10.10.0.1]:tcp:80 - "

        // Start-up: the virtual server starts with its quorum (smtp_alert on it).
        #expect(waitUntil(40) { mails(in: maildir).count >= 1 }, "\(which): \(daemon.log)\n\(smtpd.log)")
        #expect(mails(in: maildir).map(\.description) == ["\(vsSubject)UP / => Starting with quorum up 1+0=1 <= 1 <="],
                "\(which): \(daemon.log)")

        // The real server goes down: the quorum is lost, and the TCP_CHECK mails.
        rs.stop(SIGKILL)
        #expect(waitUntil(40) { mails(in: maildir).count >= 3 }, "\(which): \(daemon.log)\n\(smtpd.log)")
        usleep(500_000)
        let down = mails(in: maildir).dropFirst(1).map(\.description)
        #expect(Set(down) == ["\(vsSubject)DOWN / => Lost quorum 1+0=1 <= 0 <=",
                              "\(rsSubject)DOWN / => TCP CHECK failed on service <="], "\(which): \(down)")

        // It comes back.
        rs = try Background(ns, "/usr/bin/python3", ["-m", "http.server", "8001", "--bind", "10.10.0.2"], log: "\(dir)/rs2.log")
        #expect(waitUntil(40) { mails(in: maildir).count >= 5 }, "\(which): \(daemon.log)\n\(smtpd.log)")
        usleep(500_000)
        let up = mails(in: maildir).dropFirst(3).map(\.description)
        #expect(Set(up) == ["\(vsSubject)UP / => Gained quorum 1+0=1 <= 1 <=",
                            "\(rsSubject)UP / => TCP CHECK succeed on service <="], "\(which): \(up)")

        // Every mail: keepalived's envelope and headers.
        let all = mails(in: maildir)
        for mail in all {
            #expect(mail.helo == "director.test" && mail.from == "lvsd@example.com", "\(which): \(mail)")
            #expect(mail.to == "ops@example.com,noc@example.com", "\(which): \(mail)")
            #expect(mail.headerOrder == ["Date", "From", "Subject", "X-Mailer", "To"], "\(which): \(mail.headerOrder)")
            #expect(mail.headers["From"] == "lvsd@example.com" && mail.headers["X-Mailer"] == "Keepalived")
            #expect(mail.headers["To"] == "ops@example.com, noc@example.com")
            let date = mail.headers["Date"] ?? ""
            #expect(date.range(of: #"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"#,
                               options: .regularExpression) != nil, "\(which): Date: \(date)")
        }

        // Stopping (no omega): nothing more is mailed.
        #expect(daemon.stop(SIGTERM))
        usleep(1_000_000)
        #expect(mails(in: maildir).count == 5, "\(which): \(mails(in: maildir).map(\.description))")
        smtpd.stop(SIGKILL)
        rs.stop(SIGKILL)
    }

    /// A lone VRRP instance with `smtp_alert`: start (BACKUP, then MASTER) and stop mail the same subjects and
    /// bodies from lvsd as from keepalived 2.2.7, to aiosmtpd on the other end of a veth pair. keepalived's VRRP
    /// child exits before its "Stopping" mail goes out; lvsd sends it (on purpose: the README says so).
    @Test func vrrpTransitionsAreMailedAsKeepalivedMailsThem() throws {
        var received: [Daemon: [String]] = [:]
        for which in Daemon.allCases {
            let pair = try VethPair("smv\(which == .lvsd ? "l" : "k")")
            let dir = try scratchDirectory("smtp-vrrp-\(which.rawValue)")
            let maildir = "\(dir)/mail"
            try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
            try Self.server.replacingOccurrences(of: "10.10.0.3", with: "10.0.0.2").write(toFile: "\(dir)/smtpd.py", atomically: true, encoding: .utf8)
            let smtpd = try Background(pair.b, "/usr/bin/python3", ["\(dir)/smtpd.py", maildir], log: "\(dir)/smtpd.log")
            #expect(waitUntil(30) { smtpd.log.contains("ready") }, "\(smtpd.log)")
            let node = try VRRPNode(which == .lvsd ? .lvsd : .keepalived, in: pair.a, label: "mail")
            try node.start("""
                global_defs {
                    router_id dir1
                    notification_email {
                        ops@example.com
                    }
                    notification_email_from lvsd@example.com
                    smtp_server 10.0.0.2 2525
                    smtp_connect_timeout 5
                }
                vrrp_instance VI_1 {
                    interface eth0
                    virtual_router_id 51
                    priority 100
                    advert_int 1
                    smtp_alert
                    virtual_ipaddress {
                        10.0.0.100/24
                    }
                }

                """)
            #expect(try waitUntil(30) { try node.holds("10.0.0.100") }, "\(node.diagnostics)")
            #expect(waitUntil(20) { mails(in: maildir).count >= 2 }, "\(which): \(node.diagnostics)\n\(smtpd.log)")
            node.stop()
            if which == .lvsd {
                #expect(waitUntil(20) { mails(in: maildir).count >= 3 }, "\(which): \(node.diagnostics)\n\(smtpd.log)")
            }
            sleep(2)
            received[which] = mails(in: maildir).map(\.description)
            smtpd.stop(SIGKILL)
        }
        #expect(received[.lvsd]?.contains("[dir1] VRRP Instance VI_1 - Entering MASTER state / => VRRP Instance is now owning VRRP VIPs <=") == true,
                "\(received)")
        #expect(received[.lvsd] == (received[.keepalived] ?? []) + ["[dir1] VRRP Instance VI_1 - Stopping / => VRRP Instance stopping <="],
                "lvsd: \(received[.lvsd] ?? [])\nkeepalived: \(received[.keepalived] ?? [])")
    }
}
