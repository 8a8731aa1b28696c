import Foundation
import Testing

@testable import HealthCheck

@Suite(
    "SSL_GET probes against a NIOSSL server with a self-signed certificate",
    .serialized,
    .timeLimit(.minutes(1)),
    .enabled(if: ExternalServer.tool("openssl") != nil, "needs the openssl command to make certificates")
)
struct TLSProbeTests {
    let body = "secure body"

    @Test func selfSignedAcceptedByDefaultWithDigest() async throws {
        let identity = try TLSIdentity.shared.get()
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\n" + body), tls: identity)
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server, digest: md5Hex(body), tls: true))
        #expect(result.failure == nil)
        #expect(server.serverNames.withLock { $0 } == [nil])  // no SNI unless enabled
    }

    @Test func verificationIsOptIn() async throws {
        let identity = try TLSIdentity.shared.get()
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\n" + body), tls: identity)
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server, tls: true, verify: true))
        guard case .tls = result.failure else {
            Issue.record("expected a TLS failure, got \(String(describing: result.failure))")
            return
        }
        #expect(result.failure?.keepalivedMessage == "SSL handshake/communication error connecting to")
    }

    @Test func verificationPassesWithTheRightRootAndName() async throws {
        let identity = try TLSIdentity.shared.get()
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\n" + body), tls: identity)
        defer { Task { await server.stop() } }
        let prober = NIOCheckProber(tls: TLSContexts(trustRoots: .certificates([identity.certificate])))
        let probe = try httpCheck(server, virtualHost: "www.example.test", tls: true, enableSNI: true, verify: true)
        #expect(try await runProbe(probe, prober: prober).failure == nil)
    }

    @Test func sniFromVirtualHostWhenEnabled() async throws {
        let identity = try TLSIdentity.shared.get()
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nok"), tls: identity)
        defer { Task { await server.stop() } }
        _ = try await runProbe(try httpCheck(server, virtualHost: "www.example.test", tls: true, enableSNI: true))
        #expect(server.serverNames.withLock { $0 } == ["www.example.test"])
        #expect(server.requests.withLock { $0 }.first?.contains("Host: www.example.test\r\n") == true)
    }

    @Test func sniNameTakesPrecedence() async throws {
        let identity = try TLSIdentity.shared.get()
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nok"), tls: identity)
        defer { Task { await server.stop() } }
        _ = try await runProbe(try httpCheck(server, virtualHost: "vhost.test", tls: true, sniName: "sni.test"))
        #expect(server.serverNames.withLock { $0 } == ["sni.test"])
    }

    @Test func plainServerFailsTheHandshake() async throws {
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\nok"))
        defer { Task { await server.stop() } }
        let result = try await runProbe(try httpCheck(server, tls: true))
        guard case .tls = result.failure else {
            Issue.record("expected a TLS failure, got \(String(describing: result.failure))")
            return
        }
    }

    @Test func genhashOverTLSMatchesTheBodyMD5() async throws {
        let identity = try TLSIdentity.shared.get()
        let server = try await TestServer.start(.respond("HTTP/1.0 200 OK\r\n\r\n" + body), tls: identity)
        defer { Task { await server.stop() } }
        let result = try await genhash(
            host: "127.0.0.1",
            port: server.port,
            path: "/",
            tls: true,
            virtualHost: "www.example.test",
            useSNI: true
        )
        #expect(result.output == md5Hex(body) + "\n")
        #expect(server.serverNames.withLock { $0 } == ["www.example.test"])
    }

    @Test func clientCertificateFromTheGlobalSSLBlock() async throws {
        let identity = try TLSIdentity.shared.get()
        let client = try TLSIdentity.client.get()
        let server = try await TestServer.start(
            .respond("HTTP/1.0 200 OK\r\n\r\nok"),
            tls: identity,
            requireClientCertificate: client.certificate
        )
        defer { Task { await server.stop() } }
        let probe = try httpCheck(server, tls: true)
        // Without a client certificate the server refuses the handshake.
        guard case .tls = try await runProbe(probe).failure else {
            Issue.record("expected a TLS failure without a client certificate")
            return
        }
        let plain = try TLSContexts.load(certificateFile: client.certificatePath, keyFile: client.keyPath)
        #expect(try await runProbe(probe, prober: NIOCheckProber(tls: plain)).failure == nil)
        let encrypted = try TLSContexts.load(
            certificateFile: client.certificatePath,
            keyFile: try client.encryptedKey(password: "s3cret"),
            password: "s3cret"
        )
        #expect(try await runProbe(probe, prober: NIOCheckProber(tls: encrypted)).failure == nil)
        #expect(throws: TLSSetupError.self) {
            _ = try TLSContexts.load(certificateFile: "/nonexistent.pem", keyFile: nil)
        }
    }
}
