import Foundation
import Testing

@testable import HealthCheck

@Suite("genhash", .timeLimit(.minutes(1)))
struct GenhashTests {
    @Test func printsTheBodyMD5AndSendsTheVirtualHost() async throws {
        let body = "<html>index</html>\n"
        let server = try await TestServer.start(
            .respond("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        )
        defer { Task { await server.stop() } }
        let result = try await genhash(
            host: "127.0.0.1",
            port: server.port,
            path: "/index.html",
            virtualHost: "www.example.test",
            httpProtocol: .http11
        )
        #expect(result.digest == md5Hex(body))
        #expect(result.output == md5Hex(body) + "\n")
        #expect(result.statusCode == 200 && result.bodyBytes == body.utf8.count)
        #expect(
            server.requests.withLock { $0 } == [
                "GET /index.html HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.test\r\n\r\n"
            ]
        )
    }

    @Test func digestsWhateverTheStatus() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 503 Unavailable\r\n\r\nbusy"))
        defer { Task { await server.stop() } }
        let result = try await genhash(host: "127.0.0.1", port: server.port, path: "/")
        #expect(result.statusCode == 503)
        #expect(result.digest == md5Hex("busy"))
    }

    @Test func failuresThrow() async throws {
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        await #expect(throws: ProbeFailure.connectionRefused) {
            _ = try await genhash(host: "127.0.0.1", port: port, path: "/")
        }
        let truncated = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n"))
        defer { Task { await truncated.stop() } }
        await #expect(throws: ProbeFailure.noData) {
            _ = try await genhash(host: "127.0.0.1", port: truncated.port, path: "/")
        }
        #expect(genhashErrorMessage(.noData) == "no data received from remote webserver")
    }

    @Test func commandLineParsing() throws {
        let options = try GenhashOptions.parse([
            "-s", "10.0.0.2", "-p", "443", "-u", "/index.html", "-S", "-I", "-V", "www.example.test", "-P", "1.0c",
            "-t",
            "2.5", "--fwmark", "7",
        ])
        #expect(options.server == "10.0.0.2" && options.port == 443 && options.url == "/index.html")
        #expect(options.useSSL && options.useSNI && options.virtualHost == "www.example.test")
        #expect(options.httpProtocol == .http10Close && options.timeout == .milliseconds(2500) && options.fwmark == 7)
        #expect(try GenhashOptions.parse(["-h"]).action == .help)
        #expect(throws: GenhashUsageError("missing -u url")) { try GenhashOptions.parse(["-s", "h", "-p", "80"]) }
        #expect(throws: GenhashUsageError("invalid port 'x'")) { try GenhashOptions.parse(["-p", "x"]) }
        #expect(throws: GenhashUsageError("option -s needs a value")) { try GenhashOptions.parse(["-s"]) }
        #expect(throws: GenhashUsageError("unsupported hash algorithm 'sha1'")) {
            try GenhashOptions.parse(["-H", "sha1"])
        }
    }

    @Test func runPrintsTheDigestOrFailsNonZero() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nabc"))
        defer { Task { await server.stop() } }
        let ok = await (try GenhashOptions.parse(["-s", "127.0.0.1", "-p", "\(server.port)", "-u", "/"])).run()
        #expect(ok.output == md5Hex("abc") + "\n" && ok.exitStatus == 0)
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let failed = await (try GenhashOptions.parse(["-s", "127.0.0.1", "-p", "\(port)", "-u", "/"])).run()
        #expect(failed.exitStatus == 1)
        #expect(failed.output == "Error connecting: connection refused\n")
    }
}
