import Director
import DirectorTesting
import HealthCheck
import SMTPAlert
import Testing
@testable import LVSDaemon

/// Which director changes are mailed and with which texts (keepalived's checkers and ipwrapper.c).
@Suite struct DirectorAlertsTests {
    /// A director started with `text`, and its checker plan.
    struct Rig {
        let director: Director
        let setup: KeepalivedSetup
        let plan: KeepalivedSetup.CheckerPlan
        let alerts: DirectorAlerts
        let started: DirectorUpdate

        init(_ text: String) throws {
            let c = try candidate(text)
            director = Director(kernel: FakeKernel())
            setup = c.setup
            started = try director.start(c.setup.virtualServers)
            plan = c.setup.checkerPlan()
            alerts = DirectorAlerts(setup: c.setup, plan: plan)
        }

        /// The mails of checker `index` (in configuration order) reporting `up`.
        func report(_ index: Int, up: Bool, failure: ProbeFailure? = .connectionRefused) -> [AlertMail] {
            let id = plan.checkers[index].id
            guard let route = plan.routes[id] else { return [] }
            let transition = CheckTransition(checker: id, state: up ? .up : .down, previousState: up ? .down : .up,
                                             weight: nil, failure: up ? nil : failure, reason: "", latency: .zero,
                                             messages: [])
            let event = CheckerEvent(realServer: route.realServer, checker: route.checker, up: up)
            let update = director.handle([event])
            return alerts.mails(for: update.actions, routerID: "lb1")
                + alerts.mails(for: update.checkerReports, of: [(transition, event)], routerID: "lb1")
        }
    }

    static func config(globals: String = "", vs: String = "", rs1: String = "", checkers1: String = "TCP_CHECK {\n}",
                       rs2: String = "") -> String {
        """
        global_defs {
            router_id lb1
            notification_email {
                ops@example.com
            }
            smtp_server 127.0.0.1
            \(globals)
        }
        virtual_server 10.10.0.1 80 {
            lvs_sched rr
            lvs_method NAT
            protocol TCP
            \(vs)
            real_server 10.10.0.2 80 {
                \(rs1)
                \(checkers1)
            }
            real_server 10.10.0.3 80 {
                \(rs2)
                TCP_CHECK {
                }
            }
        }

        """
    }

    static let rs2Down = "[lb1] Realserver [10.10.0.2]:tcp:80 of virtual server [10.10.0.1]:tcp:80 - DOWN"
    static let rs2Up = "[lb1] Realserver [10.10.0.2]:tcp:80 of virtual server [10.10.0.1]:tcp:80 - UP"

    /// SMTP_CHECK mails as keepalived's smtp_final (its failure reason in the body); FILE_CHECK sends none.
    @Test func smtpCheckMailsItsReasonAndFileCheckNone() throws {
        let rig = try Rig("track_file tf {\n file /nonexistent/tf\n}\n"
                          + Self.config(checkers1: "SMTP_CHECK {\n connect_port 25\n}\nFILE_CHECK {\n track_file tf\n}"))
        #expect(rig.report(0, up: false, failure: .smtp(.badHelo("550")))
                == [AlertMail(subject: Self.rs2Down,
                              body: "=> CHECK failed on service : Bad HELO response from server [10.10.0.2]:25 <=")])
        #expect(rig.report(0, up: true) == [AlertMail(subject: Self.rs2Up, body: "=> CHECK succeed on service <=")])
        #expect(rig.report(1, up: false).isEmpty)
    }

    @Test func realServerMailsAreOnByDefaultAndQuorumMailsOff() throws {
        let rig = try Rig(Self.config())
        #expect(rig.alerts.mails(for: rig.started.actions, routerID: "lb1").isEmpty)
        #expect(rig.report(0, up: false) == [AlertMail(subject: Self.rs2Down, body: "=> TCP CHECK failed on service <=")])
        #expect(rig.report(0, up: false).isEmpty)  // no change, no mail
        #expect(rig.report(0, up: true) == [AlertMail(subject: Self.rs2Up, body: "=> TCP CHECK succeed on service <=")])
    }

    @Test func quorumMailsWithTheNumbers() throws {
        let rig = try Rig(Self.config(globals: "smtp_alert_checker", vs: "quorum 2\nhysteresis 1", rs1: "weight 2",
                                      rs2: "weight 2"))
        let vsUp = "[lb1] Virtualserver [10.10.0.1]:tcp:80 - UP", vsDown = "[lb1] Virtualserver [10.10.0.1]:tcp:80 - DOWN"
        #expect(rig.alerts.mails(for: rig.started.actions, routerID: "lb1") == [
            AlertMail(subject: vsUp, body: "=> Starting with quorum up 2+1=3 <= 4 <="),
        ])
        #expect(rig.report(0, up: false).map(\.subject) == [Self.rs2Down])  // 2 >= 2-1: quorum kept
        // Lost: keepalived prints Q+H=T with T = Q-H. The quorum mail comes first, as in keepalived.
        #expect(rig.report(1, up: false) == [
            AlertMail(subject: vsDown, body: "=> Lost quorum 2+1=1 <= 0 <="),
            AlertMail(subject: "[lb1] Realserver [10.10.0.3]:tcp:80 of virtual server [10.10.0.1]:tcp:80 - DOWN",
                      body: "=> TCP CHECK failed on service <="),
        ])
        #expect(rig.report(0, up: true).first == AlertMail(subject: Self.rs2Up, body: "=> TCP CHECK succeed on service <="))
        #expect(rig.report(1, up: true).first == AlertMail(subject: vsUp, body: "=> Gained quorum 2+1=3 <= 4 <="))
    }

    @Test func perServerSettingsAndNoCheckerEmails() throws {
        // smtp_alert off on the first real server; the virtual server's own setting does not reach it.
        let off = try Rig(Self.config(vs: "smtp_alert", rs1: "smtp_alert off"))
        #expect(off.report(0, up: false).isEmpty)
        // The second one going down loses the quorum (1): the virtual server mails too.
        #expect(off.report(1, up: false).map(\.subject) == [
            "[lb1] Virtualserver [10.10.0.1]:tcp:80 - DOWN",
            "[lb1] Realserver [10.10.0.3]:tcp:80 of virtual server [10.10.0.1]:tcp:80 - DOWN",
        ])
        // Global smtp_alert off, but on for the real server.
        let on = try Rig(Self.config(globals: "smtp_alert off", rs1: "smtp_alert on"))
        #expect(on.report(0, up: false).count == 1)
        #expect(on.report(1, up: false).isEmpty)
        // Two checkers on one real server: the second failure changes nothing of the real server.
        let two = "TCP_CHECK {\n}\nTCP_CHECK {\nconnect_port 81\n}"
        let loud = try Rig(Self.config(checkers1: two))
        #expect(loud.report(0, up: false).map(\.subject) == [Self.rs2Down])
        #expect(loud.report(1, up: false).map(\.subject) == [Self.rs2Down])
        // One checker passing again while the other fails: mailed, still DOWN.
        #expect(loud.report(0, up: true) == [AlertMail(subject: Self.rs2Down, body: "=> TCP CHECK succeed on service <=")])
        let quiet = try Rig(Self.config(globals: "no_checker_emails", checkers1: two))
        #expect(quiet.report(0, up: false).count == 1)
        #expect(quiet.report(1, up: false).isEmpty)
        #expect(quiet.report(0, up: true).isEmpty)
        #expect(quiet.report(1, up: true).map(\.subject) == [Self.rs2Up])
    }

    @Test func bodiesPerCheckerKind() throws {
        let http = try Rig(Self.config(checkers1: "HTTP_GET {\nurl {\npath /\n}\n}"))
        #expect(http.report(0, up: false).map(\.body) == ["=> CHECK failed on service : HTTP request failed <="])
        #expect(http.report(0, up: true).map(\.body) == ["=> CHECK succeed on service <="])
        let misc = try Rig(Self.config(checkers1: "MISC_CHECK {\nmisc_path /bin/true\n}"))
        #expect(misc.report(0, up: false, failure: .scriptTimeout(.seconds(5))).map(\.body) == ["=> MISC CHECK timed out on service <="])
        #expect(misc.report(0, up: true).map(\.body) == ["=> MISC CHECK succeeded on service <="])
        #expect(misc.report(0, up: false, failure: .scriptExit(1)).map(\.body) == ["=> MISC CHECK failed on service <="])
    }

    @Test func removalAtReloadAndShutdownWithOmega() throws {
        let rig = try Rig(Self.config(vs: "omega\nsmtp_alert"))
        // The reload drops 10.10.0.2: the mails come from both configurations' settings.
        let next = try candidate(Self.config(vs: "omega\nsmtp_alert").replacingOccurrences(of: "10.10.0.2 80", with: "10.10.0.4 80"))
        let update = try rig.director.reload(next.setup.virtualServers)
        let both = rig.alerts.union(DirectorAlerts(setup: next.setup, plan: next.setup.checkerPlan()))
        #expect(both.mails(for: update.actions, routerID: "lb1").contains(AlertMail(subject: Self.rs2Down, body: "=> Removing <=")))
        let stop = both.mails(for: rig.director.shutdown().actions, routerID: "lb1")
        #expect(stop.contains(AlertMail(subject: "[lb1] Realserver [10.10.0.3]:tcp:80 of virtual server [10.10.0.1]:tcp:80 - DOWN",
                                        body: "=> Shutting down <=")))
        #expect(stop.contains(AlertMail(subject: "[lb1] Virtualserver [10.10.0.1]:tcp:80 - DOWN", body: "=> Shutting down <=")))
    }
}
