import Foundation
import IPVSKit
import Testing

/// Runs the built `lvsd` (next to the test bundle) as `lvsd -t -f FILE` on the shared configurations.
@Suite struct BinaryTests {
    /// `lvsd` in the directory of the running test bundle.
    static let lvsdPath: String? = {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("lvsd").path)
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent().appendingPathComponent("lvsd").path)
        }
        if let arg0 = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: arg0).deletingLastPathComponent().appendingPathComponent("lvsd").path)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Runs lvsd and waits for it on a thread of its own: waiting for a child process on a thread of the
    /// cooperative pool would starve the other tests' tasks on a busy machine.
    private func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let path = try #require(Self.lvsdPath, "lvsd not found next to the test bundle; build with `swift build --build-tests`")
        return try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try Self.runBlocking(path, arguments) }) }.start()
        }
    }

    private static func runBlocking(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test(arguments: ["000-04.conf", "000-05.conf", "000-07.conf", "002-20.conf", "002-21.conf", "002-33.conf"])
    func acceptedConfigsExitZero(name: String) async throws {
        let file = sharedConfigDirectory + "/" + name
        let result = try await run(["-t", "-f", file])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("lvsd: \(file):") && $0.contains(": warning: ") }, "\(result.stderr)")
    }

    @Test func natMaskAndNbGetRetryWarningsNameTheirLines() async throws {
        let natMask = try await run(["-t", "-f", sharedConfigDirectory + "/000-05.conf"])
        #expect(natMask.stderr.contains("000-05.conf:26: warning: 'nat_mask' is obsolete"))
        let nbGetRetry = try await run(["--config-test", "--use-file=" + sharedConfigDirectory + "/002-20.conf"])
        #expect(nbGetRetry.stderr.contains("002-20.conf:15: warning: 'nb_get_retry' is a deprecated alias of 'retry'"))
    }

    @Test func typoConfigFailsNamingLine19() async throws {
        let file = sharedConfigDirectory + "/002-17.conf"
        let result = try await run(["-t", "-f", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("lvsd: \(file):19: error: unknown keyword 'notify_\"/usr/local/keepalived/etc/keepalived/notify.sh fault\"'"))
    }

    @Test func missingFileAndBadOptionFail() async throws {
        let missing = try await run(["-t", "-f", "/nonexistent-dir-xyz/k.conf"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent-dir-xyz/k.conf"))
        let bad = try await run(["--bogus"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("Unknown option '--bogus'"), "\(bad.stderr)")
    }

    @Test func helpAndVersion() async throws {
        let help = try await run(["-h"])
        #expect(help.status == 0 && help.stdout.contains("--config-test"))
        let version = try await run(["-v"])
        // The one version (ProductVersion, which scripts/package.sh also reads for the package's version).
        #expect(version.status == 0 && version.stdout == "lvsd \(ProductVersion.string) (keepalived.conf compatible)\n")
    }
}
