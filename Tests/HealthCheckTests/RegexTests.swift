import Testing

@testable import HealthCheck

@Suite("URL regex tests on the body", .timeLimit(.minutes(1)))
struct RegexTests {
    @Test func matchNoMatchAndOffsets() throws {
        let body = Array("<html>status: OK</html>".utf8)
        #expect(try BodyRegex(pattern: "status: (OK|FINE)").passes(body))
        #expect(try !BodyRegex(pattern: "status: BAD").passes(body))
        #expect(try !BodyRegex(pattern: "status: OK", noMatch: true).passes(body))
        #expect(try BodyRegex(pattern: "status: BAD", noMatch: true).passes(body))
        #expect(try BodyRegex(pattern: "ok", options: ["caseless"]).passes(body))
        #expect(try !BodyRegex(pattern: "ok").passes(body))
        #expect(try BodyRegex(pattern: "status", minOffset: 6, maxOffset: 6).passes(body))
        #expect(try !BodyRegex(pattern: "status", minOffset: 7).passes(body))
        #expect(try !BodyRegex(pattern: "status", maxOffset: 5).passes(body))
        #expect(throws: HTTPURLError.invalidRegex("(unclosed", message: "missing closing parenthesis", offset: 9)) {
            try BodyRegex(pattern: "(unclosed")
        }
    }

    @Test func regexIsCheckedAfterStatusAndDigestAgainstARealServer() async throws {
        let body = "service is healthy."
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\n" + body))
        defer { Task { await server.stop() } }
        let good = try HTTPURL(path: "/", digest: md5Hex(body), regex: BodyRegex(pattern: "healthy\\."))
        let probe = CheckProbe.http(HTTPCheck(target: server.target, urls: [good]))
        #expect(try await runProbe(probe).failure == nil)
        let bad = try HTTPURL(path: "/", regex: BodyRegex(pattern: "unhealthy"))
        let failing = try await runProbe(.http(HTTPCheck(target: server.target, urls: [bad])))
        #expect(failing.failure == .regexMismatch(pattern: "unhealthy", noMatch: false))
        #expect(failing.failure?.keepalivedMessage == "Regex match failed")
        // keepalived never matches `$` at the end of the body (see PCRE2SemanticsTests): neither does lvsd.
        let anchored = try HTTPURL(path: "/", regex: BodyRegex(pattern: "healthy\\.$"))
        let endAnchored = try await runProbe(.http(HTTPCheck(target: server.target, urls: [anchored])))
        #expect(endAnchored.failure == .regexMismatch(pattern: "healthy\\.$", noMatch: false))
    }

    @Test func regexWordingWhileDown() throws {
        let url = try HTTPURL(path: "/r", regex: BodyRegex(pattern: "x"))
        let spec = CheckSpec(
            probe: .http(HTTPCheck(target: CheckTarget(host: "10.0.0.2", port: 80), urls: [url])),
            timers: CheckTimers(delayLoop: .seconds(10))
        )
        var timeline = FakeTimeline(spec)
        timeline.fail(.regexMismatch(pattern: "x", noMatch: false))
        timeline.pass()
        #expect(timeline.messages.contains("Regex match success to [10.0.0.2]:tcp:80 url(/r)"))
    }

    @Test func parserFeedsTheBodyCappedAtContentLength() throws {
        var parser = HTTPResponseParser()
        parser.regex = try BodyRegex(pattern: "tail").stream()
        try parser.feed(Array("HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nbody".utf8))
        try parser.feed(Array("tail!".utf8))
        #expect(parser.summary.regexPasses == false)
        var passing = HTTPResponseParser()
        passing.regex = try BodyRegex(pattern: "od").stream()
        try passing.feed(Array("HTTP/1.0 200 OK\r\n".utf8))
        try passing.feed(Array("\r\nbo".utf8))
        try passing.feed(Array("dy.".utf8))
        #expect(passing.summary.regexPasses == true)
    }
}
