import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import HealthCheck

/// The datagram prober (UDP_CHECK, DNS_CHECK, PING_CHECK) against loopback peers, on its own instance.
@Suite("Datagram prober", .timeLimit(.minutes(1)))
struct DatagramProberTests {
    private func loop() -> any EventLoop { TestServer.group.next() }

    @Test func udpEchoPassesAndPayloadIsSent() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let server = try UDPTestServer { [$0] }
        defer { server.stop() }
        let check = UDPCheck(target: CheckTarget(host: "127.0.0.1", port: server.port), connectTimeout: .seconds(2),
                             payload: [0xDE, 0xAD], reply: ReplyPattern(bytes: [0xDE, 0xAD]))
        let result = try await prober.probe(check, on: loop()).get()
        #expect(result.failure == nil)
        #expect(result.latency < .seconds(2))
        #expect(server.received.withLock { $0 } == [[0xDE, 0xAD]])
    }

    @Test func udpClosedPortIsRefusedAtOnce() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let port = try UDPTestServer.closedPort()
        let check = UDPCheck(target: CheckTarget(host: "127.0.0.1", port: port), connectTimeout: .seconds(5))
        let result = try await prober.probe(check, on: loop()).get()
        #expect(result.failure == .connectionRefused)
        #expect(result.latency < .seconds(4))  // the ICMP error, not the timeout
    }

    @Test func udpSilenceIsSuccessUnlessAReplyIsRequired() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let server = try UDPTestServer { _ in [] }
        defer { server.stop() }
        let target = CheckTarget(host: "127.0.0.1", port: server.port)
        let quiet = try await prober.probe(UDPCheck(target: target, connectTimeout: .milliseconds(300)), on: loop()).get()
        #expect(quiet.failure == nil)
        #expect(quiet.latency >= .milliseconds(250))
        let required = try await prober.probe(
            UDPCheck(target: target, connectTimeout: .milliseconds(300), requireReply: true), on: loop()).get()
        #expect(required.failure == .replyTimeout)
    }

    @Test func udpWrongReplyFails() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let server = try UDPTestServer { _ in [[0x01, 0x02]] }
        defer { server.stop() }
        let check = UDPCheck(target: CheckTarget(host: "127.0.0.1", port: server.port), connectTimeout: .seconds(2),
                             reply: ReplyPattern(bytes: [0x01, 0x03]))
        let result = try await prober.probe(check, on: loop()).get()
        if case .replyMismatch = result.failure {} else { Issue.record("expected a mismatch, got \(String(describing: result.failure))") }
    }

    @Test func dnsSkipsWrongIdsAndPassesOnNoError() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        // First a truncated datagram, then a reply with another id, then a query echo (QR clear), then the answer.
        let server = try UDPTestServer { query in
            guard query.count >= 12 else { return [] }
            var wrongID = query
            wrongID[0] ^= 0xFF
            wrongID[2] |= 0x80
            var answer = query
            answer[2] |= 0x80
            return [[1, 2, 3], wrongID, query, answer]
        }
        defer { server.stop() }
        let check = DNSCheck(target: CheckTarget(host: "127.0.0.1", port: server.port), connectTimeout: .seconds(2),
                             type: .a, name: "example.com")
        let result = try await prober.probe(check, on: loop()).get()
        #expect(result.failure == nil)
        let sent = try #require(server.received.withLock { $0 }.first)
        #expect(Array(sent[12...]) == [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1])
    }

    @Test func dnsErrorRcodeAndSilenceFail() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let refusing = try UDPTestServer { query in
            var answer = query
            answer[2] |= 0x80
            answer[3] = 0x05
            return [answer]
        }
        defer { refusing.stop() }
        let target = CheckTarget(host: "127.0.0.1", port: refusing.port)
        let refused = try await prober.probe(DNSCheck(target: target, connectTimeout: .seconds(2)), on: loop()).get()
        #expect(refused.failure == .dnsRcode(5))
        let silent = try UDPTestServer { _ in [] }
        defer { silent.stop() }
        let timedOut = try await prober.probe(
            DNSCheck(target: CheckTarget(host: "127.0.0.1", port: silent.port), connectTimeout: .milliseconds(300)),
            on: loop()).get()
        #expect(timedOut.failure == .replyTimeout)
    }

    @Test func pingLoopbackAnswers() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let result = try await prober.probe(PingCheck(target: CheckTarget(host: "127.0.0.1", port: 0),
                                                      connectTimeout: .seconds(2)), on: loop()).get()
        #expect(result.failure == nil)
        let v6 = try await prober.probe(PingCheck(target: CheckTarget(host: "::1", port: 0),
                                                  connectTimeout: .seconds(2)), on: loop()).get()
        #expect(v6.failure == nil)
    }

    @Test func badAddressesFailWithoutASocket() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let named = try await prober.probe(UDPCheck(target: CheckTarget(host: "example.com", port: 53)), on: loop()).get()
        #expect(named.failure == .connectionFailed("example.com is not a numeric address"))
        let badBind = try await prober.probe(
            UDPCheck(target: CheckTarget(host: "127.0.0.1", port: 53), bindAddress: "nope"), on: loop()).get()
        #expect(badBind.failure == .connectionFailed("invalid bind address nope"))
    }

    @Test func manyProbesAtOnceEachGetTheirVerdict() async throws {
        let prober = DatagramProber()
        defer { prober.shutdown() }
        let server = try UDPTestServer { [$0] }
        defer { server.stop() }
        let check = UDPCheck(target: CheckTarget(host: "127.0.0.1", port: server.port), connectTimeout: .seconds(5),
                             requireReply: true)
        let futures = (0..<200).map { _ in prober.probe(check, on: loop()) }
        var passed = 0
        for future in futures where try await future.get().failure == nil { passed += 1 }
        #expect(passed == 200)
    }

    @Test func shutdownEndsWaitingProbes() async throws {
        let prober = DatagramProber()
        let server = try UDPTestServer { _ in [] }
        defer { server.stop() }
        let check = UDPCheck(target: CheckTarget(host: "127.0.0.1", port: server.port), connectTimeout: .seconds(30),
                             requireReply: true)
        let future = prober.probe(check, on: loop())
        try await Task.sleep(for: .milliseconds(100))
        prober.shutdown()
        let result = try await future.get()
        #expect(result.failure == .connectionFailed("the datagram prober was shut down"))
        let later = try await prober.probe(check, on: loop()).get()
        #expect(later.failure != nil)
    }
}
