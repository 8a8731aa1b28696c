import Foundation
import Testing

@testable import HealthCheck

@Suite("SMTP_CHECK dialogue against a local server", .timeLimit(.minutes(1)))
struct SMTPProbeTests {
    private func check(_ server: SMTPTestServer, timeout: Duration = .seconds(5), helo: String = SMTPCheck.defaultHeloName)
        -> CheckProbe
    {
        .smtp(SMTPCheck(target: server.target, connectTimeout: timeout, heloName: helo))
    }

    @Test func happyPathSendsHeloAndQuit() async throws {
        let server = try await SMTPTestServer.start(greeting: Array("220 mx.test ESMTP\r\n".utf8))
        defer { Task { await server.stop() } }
        let result = try await runProbe(check(server, helo: "checker.example"))
        #expect(result.failure == nil)
        // Give the server's event loop a moment to record the QUIT it answered.
        try await Task.sleep(for: .milliseconds(50))
        #expect(server.lines.withLock { $0 } == ["HELO checker.example\r", "QUIT\r"])
    }

    @Test func defaultHeloNameIsKeepalived() async throws {
        let server = try await SMTPTestServer.start(greeting: Array("220 mx\r\n".utf8))
        defer { Task { await server.stop() } }
        #expect(try await runProbe(check(server)).failure == nil)
        try await Task.sleep(for: .milliseconds(50))
        #expect(server.lines.withLock { $0 }.first == "HELO smtpchecker.keepalived.org\r")
    }

    @Test(arguments: ["554 go away\r\n", "220-multi line\r\n220 end\r\n", "220\r\n", "2200 mx\r\n", "hello\r\n"])
    func badBannerFails(greeting: String) async throws {
        let server = try await SMTPTestServer.start(greeting: Array(greeting.utf8))
        defer { Task { await server.stop() } }
        let result = try await runProbe(check(server))
        guard case .smtp(.badBanner) = result.failure else {
            Issue.record("expected a bad banner, got \(String(describing: result.failure))")
            return
        }
        #expect(server.lines.withLock { $0 }.isEmpty, "no HELO after a bad banner")
    }

    @Test func fiveHundredOnHeloFails() async throws {
        let server = try await SMTPTestServer.start(greeting: Array("220 mx\r\n".utf8),
                                                    heloReply: Array("550 HELO refused\r\n".utf8))
        defer { Task { await server.stop() } }
        let result = try await runProbe(check(server))
        #expect(result.failure == .smtp(.badHelo("550 HELO refused?")))
        #expect(SMTPFailure.badHelo("").keepalivedMessage(server: "[127.0.0.1]:25")
                == "Bad HELO response from server [127.0.0.1]:25")
    }

    @Test func silentServerTimesOutReadingTheBanner() async throws {
        let server = try await SMTPTestServer.start(greeting: nil)
        defer { Task { await server.stop() } }
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await runProbe(check(server, timeout: .milliseconds(300)))
        #expect(result.failure == .smtp(.readTimeout))
        #expect(clock.now - started < .seconds(3))
    }

    @Test func noReplyToHeloTimesOut() async throws {
        let server = try await SMTPTestServer.start(greeting: Array("220 mx\r\n".utf8), heloReply: nil)
        defer { Task { await server.stop() } }
        #expect(try await runProbe(check(server, timeout: .milliseconds(300))).failure == .smtp(.readTimeout))
    }

    @Test func closedPortCouldNotConnect() async throws {
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let probe = CheckProbe.smtp(SMTPCheck(target: CheckTarget(host: "127.0.0.1", port: port)))
        let result = try await runProbe(probe)
        #expect(result.failure == .smtp(.connectFail))
    }

    @Test func closeAfterBannerIsAReadFailure() async throws {
        let server = try await SMTPTestServer.start(greeting: Array("220 mx\r\n".utf8), closeAfterGreeting: true)
        defer { Task { await server.stop() } }
        let result = try await runProbe(check(server, timeout: .seconds(5)))
        // The HELO may be written before the close is seen: a read or a write failure, never a timeout.
        #expect(result.failure == .smtp(.readFailure) || result.failure == .smtp(.writeFailure),
                "\(String(describing: result.failure))")
        #expect(result.latency < .seconds(4))
    }

    @Test func unreachableNamesTheRealServer() {
        #expect(SMTPFailure.unreachable("x").keepalivedMessage(server: "[10.0.0.3]:25", realServer: "[10.0.0.2]:25")
                == "Network unreachable for server [10.0.0.3]:25 - real server [10.0.0.2]:25")
    }

    /// A banner longer than keepalived's 511-byte buffer wraps: the status is read from what follows the wrap.
    @Test func oversizedBannerWrapsLikeKeepalived() async throws {
        let long = "220 " + String(repeating: "x", count: 600) + "\r\n"
        let server = try await SMTPTestServer.start(greeting: Array(long.utf8))
        defer { Task { await server.stop() } }
        guard case .smtp(.badBanner) = try await runProbe(check(server)).failure else {
            Issue.record("a wrapped banner has no status")
            return
        }
    }

    /// Garbage without a newline beyond the hard bound fails at once instead of reading on.
    @Test func endlessGarbageHitsTheLineBound() async throws {
        let garbage = [UInt8](repeating: 0x41, count: SMTPCheck.maximumLineBytes + 10)
        let server = try await SMTPTestServer.start(greeting: garbage)
        defer { Task { await server.stop() } }
        let result = try await runProbe(check(server))
        guard case .smtp(.bound) = result.failure else {
            Issue.record("expected the line bound, got \(String(describing: result.failure))")
            return
        }
    }

    @Test func wholeDialogueHasADeadline() async throws {
        let server = try await SMTPTestServer.start(greeting: nil)
        defer { Task { await server.stop() } }
        var smtp = SMTPCheck(target: server.target, connectTimeout: .seconds(10))
        smtp.checkTimeout = .milliseconds(200)
        guard case .smtp(.bound) = try await runProbe(.smtp(smtp)).failure else {
            Issue.record("expected the dialogue deadline")
            return
        }
    }
}

@Suite("SMTP_CHECK line reading and status parsing")
struct SMTPLineReaderTests {
    @Test func statusNeedsThreeDigitsThenSpaceOrEnd() {
        #expect(SMTPLineReader.status(of: Array("220 mx".utf8)) == 220)
        #expect(SMTPLineReader.status(of: Array("250".utf8)) == 250)
        #expect(SMTPLineReader.status(of: Array("220-mx".utf8)) == nil)
        #expect(SMTPLineReader.status(of: Array("220\r".utf8)) == nil)
        #expect(SMTPLineReader.status(of: Array("22 x".utf8)) == nil)
        #expect(SMTPLineReader.status(of: Array("abc".utf8)) == nil)
    }

    @Test func linesSplitAtNewlineAndDropTheRest() {
        var reader = SMTPLineReader()
        #expect(reader.feed(Array("220 a".utf8)) == .needMore)
        #expect(reader.feed(Array("b\r\n250 extra".utf8)) == .line(Array("220 ab\r".utf8)))
        reader.reset()
        #expect(reader.feed(Array("x\n".utf8)) == .line(Array("x".utf8)))
    }

    @Test func fullBufferWraps() {
        var reader = SMTPLineReader()
        let bytes = [UInt8](repeating: 0x41, count: SMTPCheck.lineBufferBytes) + Array("250 ok\n".utf8)
        #expect(reader.feed(bytes) == .line(Array("250 ok".utf8)))
    }
}
