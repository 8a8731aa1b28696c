import Foundation
import Glibc
import Testing

/// The directory holding the built products (lvsd, lvsctl) next to the running test bundle.
func productPath(_ name: String) -> String {
    var url = URL(fileURLWithPath: CommandLine.arguments[0])
    while url.pathExtension != "xctest", url.path != "/" { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent().appendingPathComponent(name).path
}

/// A long-running process inside a test namespace (a server or a daemon), killed when the test ends.
final class Background: @unchecked Sendable {
    let process = Process()
    let logPath: String

    init(_ ns: TestNamespace, _ program: String, _ arguments: [String], log: String) throws {
        logPath = log
        guard FileManager.default.createFile(atPath: log, contents: nil) else { throw TestFailure("cannot create \(log)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.executableURL = URL(fileURLWithPath: "/sbin/ip")
        process.arguments = ["netns", "exec", ns.name, program] + arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try launch(process)
    }

    var pid: Int32 { process.processIdentifier }
    func signal(_ s: Int32) { kill(process.processIdentifier, s) }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `s` and waits (bounded) for the process to end; returns whether it did.
    @discardableResult
    func stop(_ s: Int32 = SIGTERM, within seconds: Double = 20) -> Bool {
        kill(process.processIdentifier, s)
        return waitUntil(seconds) { !self.process.isRunning }
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Polls `condition` every 100 ms for at most `seconds`.
func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}

/// A scratch directory for one test.
func scratchDirectory(_ label: String) throws -> String {
    let path = "/tmp/lvs-\(label)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The lines of `ipvsadm -Sn` as a set (order-independent).
func savedTable(_ ns: TestNamespace) throws -> Set<String> {
    Set(try ns.ipvsadm("-Sn").split(separator: "\n").map(String.init))
}
