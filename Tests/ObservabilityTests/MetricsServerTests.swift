import Glibc
import Observability
import Synchronization
import Testing

/// A metrics server on 127.0.0.1 with an ephemeral port, stopped afterwards.
private func withMetricsServer(
    host: String = "127.0.0.1",
    idleTimeout: Duration = .seconds(5),
    maxRequestBytes: Int = 16 * 1024,
    livenessTimeout: Duration = .seconds(2),
    liveness: @escaping MetricsServer.LivenessCheck = { .alive },
    _ body: (MetricsServer, Int, LvsdMetrics) async throws -> Void
) async throws {
    let metrics = LvsdMetrics(version: "9.9.9")
    metrics.setRealServer(virtualServer: "TCP 10.0.0.1:80", realServer: "10.1.0.1:80", up: true)
    let configuration = MetricsServerConfiguration(
        host: host,
        port: 0,
        idleTimeout: idleTimeout,
        maxRequestBytes: maxRequestBytes,
        livenessTimeout: livenessTimeout,
        shutdownGracePeriod: .seconds(2)
    )
    let server = MetricsServer(configuration: configuration, metrics: metrics, liveness: liveness)
    let address = try await server.start()
    let port = try #require(address.port)
    do {
        try await body(server, port, metrics)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

private func get(_ path: String, port: Int, method: String = "GET", host: String = "127.0.0.1") async throws -> RawHTTPResponse {
    let exchange = try await TestSocket.exchange(
        tcpHost: host,
        port: port,
        send: [Array("\(method) \(path) HTTP/1.1\r\nHost: lvsd\r\nConnection: close\r\n\r\n".utf8)]
    )
    guard let response = RawHTTPResponse(exchange.text) else {
        throw TestSocket.Failure(description: "not an HTTP response: \(exchange.text)")
    }
    return response
}

@Suite(.timeLimit(.minutes(1))) struct MetricsServerTests {
    @Test func servesMetricsInThePrometheusTextFormat() async throws {
        try await withMetricsServer { _, port, metrics in
            var response = try await get("/metrics", port: port)
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            var text = try PrometheusText(response.body)
            #expect(text.value("lvsd_build_info", ["version": "9.9.9"]) == 1)
            #expect(text.value("lvsd_real_server_up", ["virtual_server": "TCP 10.0.0.1:80", "real_server": "10.1.0.1:80"]) == 1)
            // Each scrape renders anew.
            metrics.setRealServer(virtualServer: "TCP 10.0.0.1:80", realServer: "10.1.0.1:80", up: false)
            response = try await get("/metrics?name[]=x", port: port)
            text = try PrometheusText(response.body)
            #expect(text.value("lvsd_real_server_up", ["virtual_server": "TCP 10.0.0.1:80", "real_server": "10.1.0.1:80"]) == 0)
        }
    }

    @Test func healthzFollowsTheLivenessClosure() async throws {
        let healthy = Mutex(true)
        // A generous timeout: this part is about the answers, and on a busy machine the closure may start late.
        try await withMetricsServer(livenessTimeout: .seconds(20), liveness: {
            if healthy.withLock({ $0 }) { return .alive }
            return .unhealthy("kernel table not applied")
        }) { _, port, _ in
            var response = try await get("/healthz", port: port)
            #expect(response.status == 200)
            #expect(response.body == "ok\n")
            healthy.withLock { $0 = false }
            response = try await get("/healthz", port: port)
            #expect(response.status == 503)
            #expect(response.body == "kernel table not applied\n")
        }
        try await withMetricsServer(livenessTimeout: .milliseconds(200), liveness: {
            try? await Task.sleep(for: .seconds(30))
            return .alive
        }) { _, port, _ in
            let start = ContinuousClock.now
            let response = try await get("/healthz", port: port)
            #expect(response.status == 503)
            #expect(response.body == "liveness check timed out\n")
            #expect(ContinuousClock.now - start < .seconds(20), "well before the closure's 30 s")
        }
    }

    @Test func otherPathsAndMethodsAreRefused() async throws {
        try await withMetricsServer { _, port, _ in
            #expect(try await get("/", port: port).status == 404)
            #expect(try await get("/metricsx", port: port).status == 404)
            let post = try await get("/metrics", port: port, method: "POST")
            #expect(post.status == 405)
            #expect(post.headers["allow"] == "GET, HEAD")
            #expect(try await get("/healthz", port: port, method: "DELETE").status == 405)
            let head = try await get("/metrics", port: port, method: "HEAD")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 0)
        }
    }

    @Test func malformedHTTPGets400AndIsClosed() async throws {
        try await withMetricsServer { _, port, _ in
            for garbage in ["GARBAGE\r\n\r\n", "GET /metrics HTTP/9\r\n\r\n", "\u{0}\u{1}\u{2} nonsense\r\n\r\n"] {
                let exchange = try await TestSocket.exchange(tcpHost: "127.0.0.1", port: port, send: [Array(garbage.utf8)])
                #expect(exchange.closedByPeer)
                #expect(RawHTTPResponse(exchange.text)?.status == 400, "for \(garbage.debugDescription): \(exchange.text)")
            }
        }
    }

    @Test func oversizedRequestsGet431AndAreClosed() async throws {
        try await withMetricsServer(maxRequestBytes: 1024) { _, port, _ in
            let bigHeader = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Fill: \(String(repeating: "a", count: 4000))\r\n\r\n"
            let exchange = try await TestSocket.exchange(tcpHost: "127.0.0.1", port: port, send: [Array(bigHeader.utf8)])
            #expect(exchange.closedByPeer)
            let response = try #require(RawHTTPResponse(exchange.text))
            #expect(response.status == 431)
            #expect(response.body == "request larger than 1024 bytes\n")
            let bigBody = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "b", count: 100_000)
            let posted = try await TestSocket.exchange(tcpHost: "127.0.0.1", port: port, send: [Array(bigBody.utf8)])
            #expect(RawHTTPResponse(posted.text)?.status == 431)
            // The server still answers well-formed requests afterwards.
            #expect(try await get("/metrics", port: port).status == 200)
        }
    }

    @Test func keepAliveServesSeveralRequestsAndIdleConnectionsAreClosed() async throws {
        try await withMetricsServer(idleTimeout: .milliseconds(400)) { _, port, _ in
            let two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            let exchange = try await TestSocket.exchange(tcpHost: "127.0.0.1", port: port, send: [Array(two.utf8)], timeout: .seconds(40))
            #expect(exchange.text.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "\(exchange)")
            // After answering, the connection stays open until the idle timeout closes it (the bounds are
            // generous: only the closing matters, and a busy machine may be slow to close).
            #expect(exchange.closedByPeer)
            #expect(exchange.elapsed >= .milliseconds(300))
            #expect(exchange.elapsed < .seconds(30))

            let silent = try await TestSocket.exchange(tcpHost: "127.0.0.1", port: port, send: [], timeout: .seconds(40))
            #expect(silent.closedByPeer)
            #expect(silent.text.isEmpty)
            #expect(silent.elapsed < .seconds(30))
        }
    }

    @Test func aSlowAnswerIsNotCutOffByTheIdleTimeout() async throws {
        // The liveness closure takes three idle timeouts; the connection is not idle while it runs.
        try await withMetricsServer(idleTimeout: .milliseconds(200), livenessTimeout: .seconds(20), liveness: {
            try? await Task.sleep(for: .milliseconds(600))
            return .alive
        }) { _, port, _ in
            let exchange = try await TestSocket.exchange(
                tcpHost: "127.0.0.1", port: port, send: [Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8)],
                timeout: .seconds(40)
            )
            let response = try #require(RawHTTPResponse(exchange.text), "\(exchange)")
            #expect(response.status == 200)
            #expect(response.body == "ok\n")
            #expect(exchange.closedByPeer)  // by the idle timeout, once answered
            #expect(exchange.elapsed >= .milliseconds(600))
        }
    }

    @Test func listensOnIPv6Loopback() async throws {
        // Skip quietly on hosts without IPv6 loopback.
        let probe = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        let usable = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        } == 0
        close(probe)
        guard usable else { return }
        try await withMetricsServer(host: "[::1]") { _, port, _ in
            let response = try await get("/healthz", port: port, host: "::1")
            #expect(response.status == 200)
        }
    }

    @Test func stopClosesIdleConnectionsAndTheListener() async throws {
        let metrics = LvsdMetrics(version: "1")
        let server = MetricsServer(
            configuration: .init(host: "127.0.0.1", port: 0, idleTimeout: .seconds(60), shutdownGracePeriod: .seconds(60)),
            metrics: metrics
        )
        let port = try #require(try await server.start().port)
        #expect(server.localAddress?.port == port)
        // An idle keep-alive connection holds the stop up neither for its 60 s idle timeout nor for the 60 s grace
        // period. (The bound is generous for a busy machine; either wait would exceed it.)
        let (answered, signal) = AsyncStream.makeStream(of: Void.self)
        async let idle: TestSocket.Exchange = {
            defer { signal.finish() }
            return try await TestSocket.exchange(
                tcpHost: "127.0.0.1", port: port, send: [Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8)],
                timeout: .seconds(50), onFirstBytes: { signal.finish() }
            )
        }()
        for await _ in answered {}  // the answer has arrived: the connection is idle now
        let start = ContinuousClock.now
        await server.stop()
        #expect(ContinuousClock.now - start < .seconds(30))
        let exchange = try await idle
        #expect(exchange.closedByPeer)
        #expect(RawHTTPResponse(exchange.text)?.status == 200)
        await #expect(throws: TestSocket.Failure.self) {
            _ = try await TestSocket.exchange(tcpHost: "127.0.0.1", port: port, send: [])
        }
        await #expect(throws: MetricsServerError(kind: .alreadyStarted)) { try await server.start() }
    }

    @Test func stopLetsARequestInProgressFinish() async throws {
        let (entered, signal) = AsyncStream.makeStream(of: Void.self)
        let server = MetricsServer(
            configuration: .init(host: "127.0.0.1", port: 0, livenessTimeout: .seconds(20), shutdownGracePeriod: .seconds(60)),
            render: { "" },
            liveness: {
                signal.finish()
                try? await Task.sleep(for: .milliseconds(500))
                return .alive
            }
        )
        let port = try #require(try await server.start().port)
        async let exchange: TestSocket.Exchange = {
            defer { signal.finish() }
            return try await TestSocket.exchange(
                tcpHost: "127.0.0.1", port: port, send: [Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8)],
                timeout: .seconds(50)
            )
        }()
        for await _ in entered {}  // the request is being answered
        await server.stop()
        let result = try await exchange
        let response = try #require(RawHTTPResponse(result.text), "\(result)")
        #expect(response.status == 200)
        #expect(response.headers["connection"] == "close")
        #expect(result.closedByPeer)
    }

    @Test func aBusyPortIsAClearError() async throws {
        try await withMetricsServer { _, port, _ in
            let second = MetricsServer(configuration: .init(host: "127.0.0.1", port: port), render: { "" })
            do {
                try await second.start()
                Issue.record("bound a busy port")
                await second.stop()
            } catch {
                #expect(String(describing: error).hasPrefix("cannot serve metrics on 127.0.0.1:\(port): "))
            }
        }
    }

    @Test(arguments: [
        ("127.0.0.1:9100", "127.0.0.1", 9100),
        ("[::1]:9100", "::1", 9100),
        ("[::]", "::", MetricsServerConfiguration.defaultPort),
        ("::1", "::1", MetricsServerConfiguration.defaultPort),
        (":9100", "0.0.0.0", 9100),
        ("9100", "0.0.0.0", 9100),
        ("10.0.0.1", "10.0.0.1", MetricsServerConfiguration.defaultPort),
    ])
    func listenAddressesParse(text: String, host: String, port: Int) throws {
        let configuration = try MetricsServerConfiguration(listenAddress: text)
        #expect(configuration.host == host)
        #expect(configuration.port == port)
    }

    @Test(arguments: ["127.0.0.1:http", "127.0.0.1:70000", "[::1", "[::1]9100", "", "a b:1", "1.2.3.4:-1"])
    func badListenAddressesAreRejected(text: String) {
        #expect(throws: MetricsServerError(kind: .invalidListenAddress(text))) {
            try MetricsServerConfiguration(listenAddress: text)
        }
    }

    @Test func anAddressThatIsNotAnIPIsABindError() async {
        let server = MetricsServer(configuration: .init(host: "not-an-ip", port: 0), render: { "" })
        do {
            try await server.start()
            Issue.record("started on a non-IP host")
            await server.stop()
        } catch {
            #expect(error.description.contains("not-an-ip"))
        }
    }
}
