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

    @Test func runPrintsTheDigestOrFailsNonZero() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nabc"))
        defer { Task { await server.stop() } }
        var options = GenhashOptions()
        options.server = "127.0.0.1"
        options.port = server.port
        options.url = "/"
        let ok = await options.run()
        #expect(ok.output == md5Hex("abc") + "\n" && ok.exitStatus == 0)
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        options.port = port
        let failed = await options.run()
        #expect(failed.exitStatus == 1)
        #expect(failed.output == "Error connecting: connection refused\n")
    }
}
