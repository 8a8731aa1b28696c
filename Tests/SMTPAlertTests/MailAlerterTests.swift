import Foundation
import Testing
@testable import SMTPAlert

/// The alerter against a fake SMTP server on 127.0.0.1: the dialogue byte for byte, a server refusing RCPT, one
/// that never answers, garbage, a closed port, a full queue, and a caller that never waits.
@Suite(.timeLimit(.minutes(1))) struct MailAlerterTests {
    static let mail = AlertMail.realServer("[10.0.0.2]:tcp:80", of: "[10.0.0.100]:tcp:80", alive: false, .tcpFailed,
                                           routerID: "lb1")

    func settings(port: Int, recipients: [String] = ["ops@example.com"], timeout: Duration = .seconds(5)) -> SMTPSettings {
        SMTPSettings(server: .init(host: "127.0.0.1", port: UInt16(port)), heloName: "director1", from: "lvs@example.com",
                     recipients: recipients, connectTimeout: timeout, routerID: "lb1")
    }

    /// The transcript with the Date header's value replaced by `DATE` (checked separately).
    func normalised(_ transcript: String) -> String {
        transcript.replacingOccurrences(of: #"Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\r\n"#,
                                        with: "Date: DATE\r\n", options: .regularExpression)
    }

    @Test func deliversInKeepalivedsDialogue() async throws {
        let server = try await FakeSMTPServer.start(.normal)
        let logs = LogLines()
        let alerter = MailAlerter(settings: settings(port: server.port, recipients: ["a@example.com", "b@example.com"]),
                                  logger: logs.logger)
        alerter.send(Self.mail)
        #expect(await alerter.flush(within: .seconds(10)))
        await alerter.shutdown()
        await server.stop()
        #expect(alerter.statistics == .init(sent: 1, failed: 0, dropped: 0), "\(logs.all)")
        #expect(server.transcripts.count == 1)
        #expect(normalised(server.transcripts.first ?? "") == """
            HELO director1\r
            MAIL FROM:<lvs@example.com>\r
            RCPT TO:<a@example.com>\r
            RCPT TO:<b@example.com>\r
            DATA\r
            Date: DATE\r
            From: lvs@example.com\r
            Subject: [lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN\r
            X-Mailer: Keepalived\r
            To: a@example.com, b@example.com\r
            \r
            => TCP CHECK failed on service <=\r
            \r
            .\r
            QUIT\r

            """)
        #expect(!logs.all.contains { $0.hasPrefix("warning") }, "\(logs.all)")
    }

    @Test func multiLineBannerAndMailsInOrder() async throws {
        let server = try await FakeSMTPServer.start(.multiLineBanner)
        let alerter = MailAlerter(settings: settings(port: server.port), logger: LogLines().logger)
        alerter.send(.vrrpInstance("VI_1", .backup, routerID: "lb1"))
        alerter.send(.vrrpInstance("VI_1", .master, routerID: "lb1"))
        #expect(await alerter.flush(within: .seconds(10)))
        await alerter.shutdown()
        await server.stop()
        #expect(alerter.statistics.sent == 2)
        let subjects = server.transcripts.map { $0.split(separator: "\r\n").first { $0.hasPrefix("Subject:") } ?? "" }
        #expect(subjects == ["Subject: [lb1] VRRP Instance VI_1 - Entering BACKUP state",
                             "Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state"])
    }

    @Test func aRefusedRecipientEndsWithQuitAndIsLogged() async throws {
        let server = try await FakeSMTPServer.start(.refuseRecipients)
        let logs = LogLines()
        let alerter = MailAlerter(settings: settings(port: server.port), logger: logs.logger)
        alerter.send(Self.mail)
        #expect(await alerter.flush(within: .seconds(10)))
        await alerter.shutdown()
        await server.stop()
        #expect(alerter.statistics == .init(sent: 0, failed: 1, dropped: 0))
        #expect(server.transcripts.first == "HELO director1\r\nMAIL FROM:<lvs@example.com>\r\nRCPT TO:<ops@example.com>\r\nQUIT\r\n")
        #expect(logs.all.contains("warning: Error processing RCPT cmd on SMTP server [127.0.0.1]:\(server.port). SMTP status code = 550"),
                "\(logs.all)")
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let server = try await FakeSMTPServer.start(.silent)
        let logs = LogLines()
        let alerter = MailAlerter(settings: settings(port: server.port, timeout: .milliseconds(300)), logger: logs.logger)
        let start = ContinuousClock.now
        alerter.send(Self.mail)
        // Far below the 300 ms the server makes the sender wait (the first mail also starts the sender's thread).
        #expect(ContinuousClock.now - start < .milliseconds(250))
        #expect(await alerter.flush(within: .seconds(10)))
        await alerter.shutdown()
        await server.stop()
        #expect(alerter.statistics.failed == 1)
        // After the timeout keepalived sends QUIT, and gives up when that is not answered either.
        #expect(server.transcripts.first == "QUIT\r\n")
        #expect(logs.contains("Timeout reading data to remote SMTP server [127.0.0.1]:\(server.port) (waiting for the reply to (E)SMTP)."),
                "\(logs.all)")
        #expect(logs.contains("Timeout reading data to remote SMTP server [127.0.0.1]:\(server.port) (waiting for the reply to QUIT)."))
    }

    @Test func aServerGoingSilentMidwayTimesOutAtThatStep() async throws {
        let server = try await FakeSMTPServer.start(.silentAfterBanner)
        let logs = LogLines()
        let alerter = MailAlerter(settings: settings(port: server.port, timeout: .milliseconds(300)), logger: logs.logger)
        alerter.send(Self.mail)
        #expect(await alerter.flush(within: .seconds(10)))
        await alerter.shutdown()
        await server.stop()
        #expect(server.transcripts.first == "HELO director1\r\nQUIT\r\n")
        #expect(logs.contains("(waiting for the reply to HELO)"), "\(logs.all)")
    }

    @Test func garbageIsLoggedAndAbandoned() async throws {
        let server = try await FakeSMTPServer.start(.garbage)
        let logs = LogLines()
        let alerter = MailAlerter(settings: settings(port: server.port, timeout: .milliseconds(300)), logger: logs.logger)
        alerter.send(Self.mail)
        #expect(await alerter.flush(within: .seconds(10)))
        await alerter.shutdown()
        await server.stop()
        #expect(alerter.statistics.failed == 1)
        #expect(server.transcripts.first == "QUIT\r\n")
        #expect(logs.contains("Unexpected reply from remote SMTP server [127.0.0.1]:\(server.port) to (E)SMTP: \"hello there\""),
                "\(logs.all)")
    }

    @Test func aClosedPortIsAConnectionError() async throws {
        // A port that was just free: bind, note, close.
        let server = try await FakeSMTPServer.start(.normal)
        let port = server.port
        await server.stop()
        let logs = LogLines()
        let alerter = MailAlerter(settings: settings(port: port), logger: logs.logger)
        alerter.send(Self.mail)
        #expect(await alerter.flush(within: .seconds(10)))
        await alerter.shutdown()
        #expect(alerter.statistics.failed == 1)
        #expect(logs.contains("SMTP connection ERROR to [127.0.0.1]:\(port)"), "\(logs.all)")
        #expect(logs.contains("SMTP alert not sent to [127.0.0.1]:\(port): \"[lb1] Realserver"))
    }

    @Test func theCallerNeverWaitsAndAFullQueueDropsTheOldest() async throws {
        let server = try await FakeSMTPServer.start(.silent)
        let logs = LogLines()
        let alerter = MailAlerter(settings: settings(port: server.port, timeout: .milliseconds(500)), logger: logs.logger,
                                  capacity: 2)
        var slowest = Duration.zero
        let first = ContinuousClock.now
        alerter.send(AlertMail(routerID: "lb1", subject: "mail 1", body: "body"))
        slowest = ContinuousClock.now - first
        // The first mail is taken off the queue and its connection hangs.
        let deadline = ContinuousClock.now + .seconds(5)
        while server.transcripts.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        for i in 2...6 {
            let start = ContinuousClock.now
            alerter.send(AlertMail(routerID: "lb1", subject: "mail \(i)", body: "body"))
            slowest = max(slowest, ContinuousClock.now - start)
        }
        // Each connection hangs for 500 ms; a caller that waited for any of them would take that long.
        #expect(slowest < .milliseconds(250), "send took \(slowest)")
        // Of the five queued behind the first, the three oldest were dropped.
        #expect(!(await alerter.flush(within: .milliseconds(100))))
        #expect(alerter.statistics.dropped == 3)
        #expect(logs.contains("SMTP alert queue full (2 mails): dropping the oldest, \"[lb1] mail 2\""), "\(logs.all)")
        await alerter.shutdown(within: .seconds(10))
        await server.stop()
        #expect(alerter.statistics == .init(sent: 0, failed: 3, dropped: 3))
    }

    @Test func nothingIsSentWithoutServerOrRecipients() async {
        let alerter = MailAlerter(settings: SMTPSettings(server: nil, heloName: "h", from: nil, recipients: ["a@b"],
                                                         routerID: "r"), logger: LogLines().logger)
        alerter.send(Self.mail)
        #expect(await alerter.flush(within: .milliseconds(10)))
        #expect(alerter.statistics == .init() && !alerter.canSend && alerter.routerID == "r")
        alerter.configure(settings(port: 1, recipients: []))
        alerter.send(Self.mail)
        #expect(alerter.statistics == .init())
        await alerter.shutdown()
    }
}
