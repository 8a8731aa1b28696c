import Foundation
import Testing

@testable import HealthCheck

/// A server process started for one test and killed at the end.
final class ExternalServer: Sendable {
    let process: Process
    let port: Int
    let directory: URL

    init(process: Process, port: Int, directory: URL) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    /// Terminates the server and waits for it (bounded).
    func stop() {
        guard process.isRunning else { return }
        // SIGKILL: children of the test runner may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
    }

    deinit { stop() }

    static func tool(_ name: String) -> String? {
        ["/usr/bin/\(name)", "/usr/local/bin/\(name)", "/bin/\(name)"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
            ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Serves `files` from a temporary directory and waits (at most 10 s) until the port accepts.
    static func start(_ arguments: (Int) -> [String], tool name: String, files: [String: String]) async throws
        -> ExternalServer
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hc-ext-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (file, content) in files {
            try content.write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        let executable = try #require(tool(name))
        for _ in 0..<5 {
            let (port, descriptor) = try closedPort()
            close(descriptor)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments(port)
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let server = ExternalServer(process: process, port: port, directory: directory)
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, process.isRunning {
                let probe = try await runProbe(
                    .tcp(
                        TCPCheck(target: CheckTarget(host: "127.0.0.1", port: port), connectTimeout: .milliseconds(200))
                    )
                )
                if probe.failure == nil { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(process.processIdentifier, SIGKILL)
        }
        throw CocoaError(.fileReadUnknown)
    }
}

@Suite(
    "Checks against python3 -m http.server and openssl s_server",
    .serialized,
    .timeLimit(.minutes(1)),
    .enabled(if: ExternalServer.tool("python3") != nil && ExternalServer.tool("openssl") != nil)
)
struct ExternalServerTests {
    let content = "served by a real server\n"

    @Test func pythonHTTPServerDigestAndMissingPage() async throws {
        let server = try await ExternalServer.start(
            { ["-m", "http.server", "--bind", "127.0.0.1", "\($0)"] },
            tool: "python3",
            files: ["index.txt": content]
        )
        let target = CheckTarget(host: "127.0.0.1", port: server.port)
        let good = CheckProbe.http(
            HTTPCheck(target: target, urls: [try HTTPURL(path: "/index.txt", digest: md5Hex(content))])
        )
        #expect(try await runProbe(good).failure == nil)
        let missing = CheckProbe.http(HTTPCheck(target: target, urls: [try HTTPURL(path: "/missing.txt")]))
        #expect(try await runProbe(missing).failure == .statusCode(404))
        let hash = try await genhash(host: "127.0.0.1", port: server.port, path: "/index.txt")
        #expect(hash.digest == md5Hex(content))
    }

    @Test func opensslServerOverTLS() async throws {
        let identity = try TLSIdentity.shared.get()
        let keyPath = identity.certificatePath.replacingOccurrences(of: "cert.pem", with: "key.pem")
        let server = try await ExternalServer.start(
            {
                [
                    "s_server", "-quiet", "-accept", "127.0.0.1:\($0)", "-cert", identity.certificatePath, "-key",
                    keyPath, "-WWW",
                ]
            },
            tool: "openssl",
            files: ["page.txt": content]
        )
        defer { server.stop() }
        let target = CheckTarget(host: "127.0.0.1", port: server.port)
        let check = HTTPCheck(
            target: target,
            tls: true,
            urls: [try HTTPURL(path: "/page.txt", digest: md5Hex(content))],
            enableSNI: true,
            sniName: "www.example.test"
        )
        let result = try await runProbe(.http(check))
        #expect(result.failure == nil, "\(String(describing: result.failure))")
        let hash = try await genhash(host: "127.0.0.1", port: server.port, path: "/page.txt", tls: true)
        #expect(hash.digest == md5Hex(content))
    }
}
