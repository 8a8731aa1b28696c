import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import HealthCheck

@Suite("TCP_CHECK probes", .timeLimit(.minutes(1)))
struct TCPProbeTests {
    @Test func listeningPortSucceeds() async throws {
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let result = try await runProbe(.tcp(TCPCheck(target: server.target, connectTimeout: .seconds(10))))
        #expect(result.failure == nil)
        #expect(result.latency > .zero && result.latency < .seconds(10))
    }

    @Test func bindAddressIsUsed() async throws {
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let ok = try await runProbe(.tcp(TCPCheck(target: server.target, bindAddress: "127.0.0.1")))
        #expect(ok.failure == nil)
        let bad = try await runProbe(.tcp(TCPCheck(target: server.target, bindAddress: "not-an-ip")))
        #expect(bad.failure == .connectionFailed("invalid bind address not-an-ip"))
    }

    @Test func closedPortIsRefused() async throws {
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        let result = try await runProbe(.tcp(TCPCheck(target: CheckTarget(host: "127.0.0.1", port: port))))
        #expect(result.failure == .connectionRefused)
    }

    /// A listener whose accept queue is full drops SYNs, so the connect can only time out.
    @Test func fullAcceptQueueTimesOut() async throws {
        let (port, descriptor) = try closedPort()
        defer { close(descriptor) }
        #expect(listen(descriptor, 0) == 0)
        let target = CheckTarget(host: "127.0.0.1", port: port)
        // Fill the queue with connections nobody accepts (they may succeed or hang; both are fine).
        var fillers: [ProbeResult] = []
        for _ in 0..<3 {
            fillers.append(try await runProbe(.tcp(TCPCheck(target: target, connectTimeout: .milliseconds(200)))))
        }
        let started = ContinuousClock.now
        let result = try await runProbe(.tcp(TCPCheck(target: target, connectTimeout: .milliseconds(300))))
        #expect(result.failure == .connectTimeout)
        #expect(ContinuousClock.now - started < .seconds(20))  // not the kernel's minutes of SYN retries
        #expect(fillers.contains { $0.failure == .connectTimeout })
    }
}

@Suite("Checker fwmark (SO_MARK)", .timeLimit(.minutes(1)))
struct FwmarkTests {
    @Test(.enabled(if: getuid() == 0, "SO_MARK needs CAP_NET_ADMIN"))
    func markedConnectSucceedsAsRoot() async throws {
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let result = try await runProbe(.tcp(TCPCheck(target: server.target, fwmark: 7)))
        #expect(result.failure == nil)
    }

    @Test(.enabled(if: getuid() != 0, "root may set SO_MARK"))
    func markedConnectFailsClearlyWithoutPrivilege() async throws {
        let server = try await TestServer.start(.silent)
        defer { Task { await server.stop() } }
        let result = try await runProbe(.tcp(TCPCheck(target: server.target, fwmark: 7)))
        guard case .connectionFailed = result.failure else {
            Issue.record("expected a connection failure, got \(String(describing: result.failure))")
            return
        }
    }
}
