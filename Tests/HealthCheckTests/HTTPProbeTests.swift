import Crypto
import Foundation
import Testing

@testable import HealthCheck

func md5Hex(_ text: String) -> String {
    Insecure.MD5.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
}

func httpCheck(
    _ server: TestServer,
    paths: [String] = ["/"],
    digest: String? = nil,
    statusCodes: StatusCodeSet = .default,
    virtualHost: String? = nil,
    httpProtocol: HTTPProtocolVersion = .http10,
    timeout: Duration = .seconds(10),  // generous: a busy machine may take seconds; timeout tests pass their own
    checkTimeout: Duration? = nil,
    maxBodyBytes: Int = 1 << 20,
    tls: Bool = false,
    enableSNI: Bool = false,
    sniName: String? = nil,
    verify: Bool = false
) throws -> CheckProbe {
    let urls = try paths.map { try HTTPURL(path: $0, digest: digest, statusCodes: statusCodes) }
    return .http(
        HTTPCheck(
            target: server.target,
            tls: tls,
            urls: urls,
            virtualHost: virtualHost,
            httpProtocol: httpProtocol,
            enableSNI: enableSNI,
            sniName: sniName,
            verifyCertificate: verify,
            connectTimeout: timeout,
            checkTimeout: checkTimeout,
            maxBodyBytes: maxBodyBytes
        )
    )
}

@Suite("HTTP_GET probes against loopback servers", .timeLimit(.minutes(1)))
struct HTTPProbeTests {
    let body = "<html>healthy</html>\n"

    @Test func okWithCorrectDigestAndExactRequestBytes() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server, paths: ["/health?x=1"], digest: md5Hex(body)))
        #expect(result.failure == nil)
        #expect(result.statusCode == 200)
        #expect(result.digest == md5Hex(body))
        #expect(
            server.requests.withLock { $0 } == [
                "GET /health?x=1 HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:\(server.port)\r\n\r\n"
            ]
        )
    }

    @Test func http11SendsConnectionCloseAndVirtualHost() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.1 200 OK\r\n\r\nok"))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server, virtualHost: "www.example.test", httpProtocol: .http11))
        #expect(result.failure == nil)
        #expect(
            server.requests.withLock { $0 } == [
                "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.test\r\n\r\n"
            ]
        )
    }

    @Test func http10CloseVariant() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nok"))
        defer { Task { await server.stop() } }
        _ = try await runProbe(try httpCheck(server, httpProtocol: .http10Close))
        #expect(
            server.requests.withLock { $0 }.first?.hasPrefix(
                "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: "
            ) == true
        )
    }

    @Test func wrongBodyIsADigestMismatchNamingBothDigests() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nsomething else"))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server, digest: md5Hex(body)))
        #expect(result.failure == .digestMismatch(expected: md5Hex(body), actual: md5Hex("something else")))
        #expect(result.failure?.keepalivedMessage == "MD5 digest error to")
    }

    @Test func wrongStatusFailsWithTheCode() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 500 Internal Server Error\r\n\r\noops"))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server))
        #expect(result.failure == .statusCode(500))
    }

    @Test func configuredStatusRangeAccepts302() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n"))
        defer { Task { await server.stop() } }
        let codes = try StatusCodeSet(parsing: ["200", "300-399"])
        #expect(try await runProbe(try httpCheck(server, statusCodes: codes)).failure == nil)
        #expect(try await runProbe(try httpCheck(server)).failure == .statusCode(302))
    }

    @Test func statusLineWithoutReasonPhraseFails() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server))
        #expect(result.failure == .malformedStatusLine)
    }

    @Test func closedPortIsRefused() async throws {
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let probe = CheckProbe.http(
            HTTPCheck(target: CheckTarget(host: "127.0.0.1", port: port), urls: [try HTTPURL(path: "/")])
        )
        let result = try await runProbe(probe)
        #expect(result.failure == .connectionRefused, "\(String(describing: result.failure))")
    }

    @Test func silentServerFailsWithinTheReadTimeout() async throws {
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let result = try await runProbe(try httpCheck(server, timeout: .milliseconds(300)))
        let elapsed = ContinuousClock.now - started
        #expect(result.failure == .readTimeout)
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(20))
    }

    @Test func endlessBodyFailsAtTheBodyBound() async throws {
        let server = try await TestServer.start(.streamForever(header: "HTTP/1.0 200 OK\r\n\r\n"))
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let result = try await runProbe(try httpCheck(server, timeout: .seconds(2), maxBodyBytes: 256 * 1024))
        #expect(result.failure == .bodyTooLarge(limit: 256 * 1024))
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func endlessBodyFailsAtTheCheckDeadline() async throws {
        let server = try await TestServer.start(.streamForever(header: "HTTP/1.0 200 OK\r\n\r\n"))
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let result = try await runProbe(
            try httpCheck(server, timeout: .seconds(1), checkTimeout: .milliseconds(400), maxBodyBytes: Int.max)
        )
        #expect(result.failure == .checkTimeout(.milliseconds(400)))
        #expect(ContinuousClock.now - started < .seconds(20))  // the server streams forever
    }

    @Test func contentLengthCapsTheDigestAndEndsTheRead() async throws {
        // The server keeps the connection open: the probe stops at Content-Length instead of timing out.
        let server = try await TestServer.start(.respondAndHold("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let result = try await runProbe(try httpCheck(server, digest: md5Hex("hello"), timeout: .seconds(40)))
        #expect(result.failure == nil)
        #expect(ContinuousClock.now - started < .seconds(20))  // did not wait for the 40 s read timeout
    }

    @Test func bytesBeyondContentLengthAreNotHashed() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA"))
        defer { Task { await server.stop() } }
        #expect(try await runProbe(try httpCheck(server, digest: md5Hex("hello"))).failure == nil)
    }

    @Test func chunkedBodiesAreHashedRaw() async throws {
        let raw = "5\r\nhello\r\n0\r\n\r\n"
        let server = try await TestServer.start(.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + raw))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server))
        #expect(result.digest == md5Hex(raw))
    }

    @Test func truncatedHeaderIsNoData() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\nContent-Le"))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server))
        #expect(result.failure == .noData)
    }

    @Test(arguments: 0..<8)
    func garbageResponsesFailCleanly(seed: Int) async throws {
        var generator = SplitMix(seed: UInt64(seed))
        var bytes = (0..<Int(generator.next() % 600)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        if seed % 2 == 1 { bytes += Array("\r\n\r\n".utf8) + bytes }  // a "header" of garbage
        let server = try await TestServer.start(.respondBytes(bytes))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server))
        #expect(result.failure != nil)
    }
}

/// Deterministic generator for garbage inputs.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("IPv6 loopback", .timeLimit(.minutes(1)))
struct IPv6ProbeTests {
    @Test func httpOverIPv6UsesBracketedHost() async throws {
        let server: TestServer
        do {
            server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nv6"), host: "::1")
        } catch {
            withKnownIssue("no IPv6 loopback on this machine") { throw error }
            return
        }
        defer { Task { await server.stop() } }
        let tcp = try await runProbe(.tcp(TCPCheck(target: server.target)))
        #expect(tcp.failure == nil)
        let http = try await runProbe(.http(HTTPCheck(target: server.target, urls: [try HTTPURL(path: "/")])))
        #expect(http.failure == nil)
        #expect(server.requests.withLock { $0 }.first?.contains("Host: [::1]:\(server.port)\r\n") == true)
    }
}
