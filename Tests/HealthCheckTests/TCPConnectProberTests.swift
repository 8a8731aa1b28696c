import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import HealthCheck

/// The lean TCP_CHECK prober (epoll thread, no NIO channel), exercised directly on its own instance.
@Suite("TCP connect prober", .timeLimit(.minutes(1)))
struct TCPConnectProberTests {
    private func probe(_ prober: TCPConnectProber, _ check: TCPCheck) async throws -> ProbeResult {
        try await prober.probe(check, on: TestServer.group.next()).get()
    }

    @Test func listeningPortSucceeds() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let result = try await probe(prober, TCPCheck(target: server.target, connectTimeout: .seconds(1)))
        #expect(result.failure == nil)
        #expect(result.latency > .zero)
        #expect(result.latency < .seconds(1))
    }

    @Test func closedPortIsRefused() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let result = try await probe(prober, TCPCheck(target: CheckTarget(host: "127.0.0.1", port: port)))
        #expect(result.failure == .connectionRefused)
    }

    /// SYNs to a listener whose accept queue is full are dropped: only the deadline ends the connect.
    @Test func fullAcceptQueueTimesOut() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        #expect(listen(descriptor, 0) == 0)
        let target = CheckTarget(host: "127.0.0.1", port: port)
        for _ in 0..<3 {
            _ = try await probe(prober, TCPCheck(target: target, connectTimeout: .milliseconds(200)))
        }
        let started = ContinuousClock.now
        let result = try await probe(prober, TCPCheck(target: target, connectTimeout: .milliseconds(300)))
        let took = ContinuousClock.now - started
        #expect(result.failure == .connectTimeout)
        #expect(took >= .milliseconds(250))
        #expect(took < .seconds(20))  // not the kernel's minutes of SYN retries; generous for a busy machine
    }

    /// A zero connect_timeout expires at once, before any connect.
    @Test func zeroTimeoutExpiresAtOnce() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let result = try await probe(prober, TCPCheck(target: server.target, connectTimeout: .zero))
        #expect(result.failure == .connectTimeout)
    }

    @Test func invalidBindAddressFailsWithoutConnecting() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let ok = try await probe(prober, TCPCheck(target: server.target, bindAddress: "127.0.0.1"))
        #expect(ok.failure == nil)
        let bad = try await probe(prober, TCPCheck(target: server.target, bindAddress: "not-an-ip"))
        #expect(bad.failure == .connectionFailed("invalid bind address not-an-ip"))
    }

    /// Host names are not resolved by the lean prober; they go through NIO and still work.
    @Test func hostNameFallsBackToNIO() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let result = try await probe(prober, TCPCheck(target: CheckTarget(host: "localhost", port: server.target.port)))
        #expect(result.failure == nil)
    }

    /// Many probes in flight at once all complete, each with its own verdict.
    @Test func manyConcurrentProbesComplete() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let (closed, descriptor) = try closedPort()
        defer { close(descriptor) }
        let loop = TestServer.group.next()
        let futures = (0..<200).map { index in
            let port = index.isMultiple(of: 2) ? server.target.port : closed
            return prober.probe(TCPCheck(target: CheckTarget(host: "127.0.0.1", port: port)), on: loop)
        }
        for (index, future) in futures.enumerated() {
            let result = try await future.get()
            #expect(result.failure == (index.isMultiple(of: 2) ? nil : .connectionRefused))
        }
    }

    /// A prober thread that does not run for longer than connect_timeout (a loaded machine) must fail no healthy
    /// server: neither the connects in flight when it stalled (more than one epoll_wait returns), nor the requests
    /// that waited for it.
    @Test func aStarvedProberThreadFailsNoHealthyServer() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let loop = TestServer.group.next()
        let check = TCPCheck(target: server.target, connectTimeout: .milliseconds(500))
        #expect(try await prober.probe(TCPCheck(target: server.target, connectTimeout: .seconds(10)), on: loop).get().failure == nil)
        // In flight: the thread starts these, then sleeps 2 s before it looks at their completions.
        prober.stall(milliseconds: 2000)
        let inFlight = (0..<400).map { _ in prober.probe(check, on: loop) }
        var failures: [ProbeFailure] = []
        for future in inFlight {
            if let failure = try await future.get().failure { failures.append(failure) }
        }
        #expect(failures.isEmpty, "\(failures.count) of 400 failed: \(failures.prefix(3))")
        // Waiting: these are queued while the thread sleeps 2 s, longer than their connect_timeout.
        prober.stall(milliseconds: 2000)
        let trigger = prober.probe(TCPCheck(target: server.target, connectTimeout: .seconds(10)), on: loop)
        try await Task.sleep(for: .milliseconds(300))
        let waiting = (0..<50).map { _ in prober.probe(check, on: loop) }
        #expect(try await trigger.get().failure == nil)
        failures = []
        for future in waiting {
            if let failure = try await future.get().failure { failures.append(failure) }
        }
        #expect(failures.isEmpty, "\(failures.count) of 50 failed: \(failures.prefix(3))")
    }

    /// A server that accepts and closes at once: the connect may find the socket already in CLOSE_WAIT when it
    /// returns (the handshake finished and the server's FIN arrived inside the call). That is a success.
    @Test func acceptAndCloseServerSucceeds() async throws {
        let prober = TCPConnectProber()
        defer { prober.shutdown() }
        let (port, listener) = try closedPort()
        #expect(listen(listener, 128) == 0)
        let acceptor = Thread {
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                close(connection)
            }
        }
        acceptor.start()
        defer {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
        let loop = TestServer.group.next()
        let target = CheckTarget(host: "127.0.0.1", port: port)
        for round in 0..<4 {
            let futures = (0..<100).map { _ in prober.probe(TCPCheck(target: target, connectTimeout: .seconds(2)), on: loop) }
            for future in futures {
                let result = try await future.get()
                #expect(result.failure == nil, "round \(round): \(String(describing: result.failure))")
            }
        }
    }

    /// After shutdown, probes still work (through NIO).
    @Test func probesAfterShutdownUseNIO() async throws {
        let prober = TCPConnectProber()
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let target = CheckTarget(host: "127.0.0.1", port: port)
        #expect(try await probe(prober, TCPCheck(target: target)).failure == .connectionRefused)
        prober.shutdown()
        #expect(try await probe(prober, TCPCheck(target: target)).failure == .connectionRefused)
    }

    /// The NIO path (used for host names) keeps the same failure semantics.
    @Test func nioPathRefusesClosedPort() async throws {
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let result = try await runProbe(
            .tcp(TCPCheck(target: CheckTarget(host: "127.0.0.1", port: port))),
            prober: NIOCheckProber(connector: nil)
        )
        #expect(result.failure == .connectionRefused)
    }
}

@Suite("Connect deadline heap")
struct ConnectDeadlineHeapTests {
    @Test func popsInDeadlineOrder() {
        var heap = ConnectDeadlineHeap()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<500).map { _ in UInt64.random(in: 0...10_000, using: &generator) }
        for (index, deadline) in deadlines.enumerated() {
            heap.push(.init(deadline: deadline, slot: Int32(index), generation: 0))
        }
        var popped: [UInt64] = []
        while let entry = heap.pop() { popped.append(entry.deadline) }
        #expect(popped == deadlines.sorted())
        #expect(heap.isEmpty)
    }
}
