import Testing

@testable import HealthCheck

@Suite("HTTP response parsing as keepalived does it")
struct HTTPResponseParserTests {
    func parse(_ chunks: [String], maxBody: Int = 1 << 20) throws(ProbeFailure) -> HTTPResponseSummary {
        var parser = HTTPResponseParser(maxBodyBytes: maxBody)
        for chunk in chunks { try parser.feed(Array(chunk.utf8)) }
        return parser.summary
    }

    @Test(arguments: [
        ("HTTP/1.0 200 OK\r\n\r\n", 200),
        ("HTTP/1.1 404 Not Found\r\nX: y\r\n\r\n", 404),
        ("HTTP/1.1 200 \r\n\r\n", 200),
    ])
    func statusLines(text: String, code: Int) throws {
        #expect(try parse([text]).head?.statusCode == code)
    }

    @Test(arguments: [
        "HTTP/1.1 200\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20x OK\r\n\r\n", "garbage\r\n\r\n", "\r\n\r\n",
    ])
    func malformedStatusLines(text: String) throws {
        let summary = try parse([text])
        #expect(summary.head != nil)
        #expect(summary.head?.statusCode == nil)
        #expect(summary.evaluate(against: try HTTPURL(path: "/")) == .malformedStatusLine)
    }

    @Test func headerSplitAcrossReadsAndContentLength() throws {
        let summary = try parse(["HTTP/1.0 200 OK\r\nContent-Length: 3\r", "\n\r", "\nab", "cdef"])
        #expect(summary.head?.contentLength == 3)
        #expect(summary.digest == md5Hex("abc"))
        #expect(summary.bodyBytes == 6)
    }

    @Test func contentLengthIsCaseSensitiveLikeKeepalived() throws {
        let summary = try parse(["HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\nabcdef"])
        #expect(summary.head?.contentLength == nil)
        #expect(summary.digest == md5Hex("abcdef"))
    }

    @Test func emptyBodyDigest() throws {
        #expect(try parse(["HTTP/1.0 204 No Content\r\n\r\n"]).digest == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func bodyBound() {
        #expect(throws: ProbeFailure.bodyTooLarge(limit: 4)) {
            _ = try parse(["HTTP/1.0 200 OK\r\n\r\n12345"], maxBody: 4)
        }
    }

    @Test func headerBound() {
        var parser = HTTPResponseParser(maxHeaderBytes: 64)
        #expect(throws: ProbeFailure.headerTooLarge(limit: 64)) {
            try parser.feed(Array(String(repeating: "A", count: 100).utf8))
        }
    }

    @Test func noHeaderIsNoData() throws {
        #expect(try parse(["HTTP/1.0 200 OK\r\n"]).evaluate(against: try HTTPURL(path: "/")) == .noData)
    }

    @Test func randomGarbageNeverCrashes() throws {
        var generator = SplitMix(seed: 42)
        for _ in 0..<2000 {
            var parser = HTTPResponseParser(maxHeaderBytes: 512, maxBodyBytes: 512)
            let count = Int(generator.next() % 300)
            var bytes = (0..<count).map { _ in
                UInt8(truncatingIfNeeded: generator.next() % 4 == 0 ? 13 : generator.next())
            }
            if generator.next() % 3 == 0 { bytes.insert(contentsOf: Array("HTTP/1.1 2".utf8), at: 0) }
            do {
                for chunk in stride(from: 0, to: bytes.count, by: 7) {
                    try parser.feed(bytes[chunk..<min(chunk + 7, bytes.count)])
                }
            } catch {
                continue
            }
            let verdict = parser.summary.evaluate(
                against: try HTTPURL(path: "/", digest: String(repeating: "0", count: 32))
            )
            #expect(verdict != nil)
        }
    }

    @Test func requestBytesAndHostPrecedence() throws {
        let url = try HTTPURL(path: "/x")
        let urlWithHost = try HTTPURL(path: "/x", virtualHost: "url.test")
        var check = HTTPCheck(target: CheckTarget(host: "10.0.0.2", port: 8080), urls: [url])
        #expect(
            check.request(for: url) == "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.2:8080\r\n\r\n"
        )
        check.virtualServerVirtualHost = "vs.test"
        #expect(check.hostHeader(for: url) == "vs.test")
        check.realServerVirtualHost = "rs.test"
        #expect(check.hostHeader(for: url) == "rs.test")
        check.virtualHost = "checker.test"
        #expect(check.hostHeader(for: url) == "checker.test")
        #expect(check.hostHeader(for: urlWithHost) == "url.test")
        let v6 = HTTPCheck(target: CheckTarget(host: "fd00::2", port: 80), urls: [url])
        #expect(v6.hostHeader(for: url) == "[fd00::2]:80")
    }

    @Test func sniPrecedenceSkipsTheRealServerVirtualHost() throws {
        let url = try HTTPURL(path: "/")
        var check = HTTPCheck(
            target: CheckTarget(host: "10.0.0.2", port: 443),
            tls: true,
            urls: [url],
            realServerVirtualHost: "rs.test"
        )
        #expect(check.serverName(for: url) == nil)  // SNI off by default
        check.enableSNI = true
        #expect(check.serverName(for: url) == nil)  // the RS vhost is skipped (keepalived quirk)
        check.virtualServerVirtualHost = "vs.test"
        #expect(check.serverName(for: url) == "vs.test")
        check.virtualHost = "checker.test"
        #expect(check.serverName(for: url) == "checker.test")
        #expect(check.serverName(for: try HTTPURL(path: "/", virtualHost: "url.test")) == "url.test")
        check.sniName = "sni.test"
        #expect(check.serverName(for: try HTTPURL(path: "/", virtualHost: "url.test")) == "sni.test")
        check.sniName = "192.0.2.1"
        #expect(check.serverName(for: url) == nil)  // never an IP literal
    }

    @Test func statusCodeSetParsing() throws {
        let set = try StatusCodeSet(parsing: ["200", "300-302"])
        #expect(set.contains(200) && set.contains(301) && !set.contains(303) && !set.contains(201))
        #expect(throws: StatusCodeSetError(token: "99")) { try StatusCodeSet(parsing: ["99"]) }
        #expect(throws: StatusCodeSetError(token: "300-200")) { try StatusCodeSet(parsing: ["300-200"]) }
        #expect(throws: StatusCodeSetError(token: "2x0")) { try StatusCodeSet(parsing: ["2x0"]) }
        #expect(StatusCodeSet.default.contains(299) && !StatusCodeSet.default.contains(300))
    }

    @Test func digestValidation() throws {
        #expect(throws: HTTPURLError.invalidDigest("abc")) { try HTTPURL(path: "/", digest: "abc") }
        #expect(throws: HTTPURLError.self) { try HTTPURL(path: "/", digest: String(repeating: "g", count: 32)) }
        #expect(
            try HTTPURL(path: "/", digest: String(repeating: "A", count: 32)).digest
                == String(repeating: "a", count: 32)
        )
    }
}
