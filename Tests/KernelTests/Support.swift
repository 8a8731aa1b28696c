import Foundation

import IPVSKit
import Testing

/// The result of running a program.
struct Run: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program with arguments (no shell) and captures its output.
@discardableResult
func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> Run {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    p.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    let out = closeOnExecPipe(), err = closeOnExecPipe()
    p.standardOutput = out
    p.standardError = err
    let input = closeOnExecPipe()
    p.standardInput = input
    try launch(p)
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    // Read both pipes concurrently so a large output cannot dead-lock the child.
    let errData = LockedData()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData.set(err.fileHandleForReading.readDataToEndOfFile())
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
               stderr: String(decoding: errData.get(), as: UTF8.self))
}

/// Held while a pipe is created and marked close-on-exec, and while a process is spawned. Foundation's pipes are not
/// close-on-exec and its Process does not close inherited descriptors in the child, so a daemon spawned by one test
/// while another test's `run` has its pipes open would keep their write ends: that `run` then waits for EOF until
/// the daemon exits, and tests waiting on each other's daemons dead-lock the parallel pass (seen: no test finished).
/// Every spawn and every pipe of the kernel tests goes through this lock, so no child ever sees a pipe of another.
let spawnLock = NSLock()

/// A pipe whose two descriptors are close-on-exec (a child gets only the copies Process puts on its 0, 1 and 2).
func closeOnExecPipe() -> Pipe {
    spawnLock.lock()
    defer { spawnLock.unlock() }
    let pipe = Pipe()
    _ = fcntl(pipe.fileHandleForReading.fileDescriptor, F_SETFD, FD_CLOEXEC)
    _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
    return pipe
}

/// Spawns `process` under ``spawnLock`` (see there).
func launch(_ process: Process) throws {
    spawnLock.lock()
    defer { spawnLock.unlock() }
    try process.run()
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Runs a shell command line; for test set-up only.
@discardableResult
func sh(_ command: String) throws -> Run {
    try run("/bin/sh", ["-c", command])
}

/// A private network namespace, so each kernel test has its own IPVS tables and tests can run in parallel.
final class TestNamespace: Sendable {
    let name: String
    var path: String { "/var/run/netns/\(name)" }

    init(_ label: String = "t") throws {
        name = "lvs-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let r = try run("/sbin/ip", ["netns", "add", name])
        guard r.status == 0 else { throw TestFailure("ip netns add \(name): \(r.stderr)") }
        try run("/sbin/ip", ["-n", name, "link", "set", "lo", "up"])
    }

    deinit { _ = try? run("/sbin/ip", ["netns", "delete", name]) }

    /// A client bound to this namespace.
    func client() throws -> IPVSClient { try IPVSClient(networkNamespace: name) }

    /// Runs a program inside the namespace.
    @discardableResult
    func exec(_ program: String, _ args: [String], stdin: String? = nil) throws -> Run {
        try run("/sbin/ip", ["netns", "exec", name, program] + args, stdin: stdin)
    }

    /// Runs ipvsadm inside the namespace and requires success.
    /// `ipvsadm` with `args`, read until two listings in a row agree (at most 8 reads): a dump of this namespace's
    /// table can repeat or skip entries while other namespaces' tables change (the kernel resumes a multi-part dump
    /// by an index over every namespace's services, and other test cases run at the same time).
    func stableIpvsadm(_ args: String...) throws -> String {
        var previous = try exec("ipvsadm", args).stdout
        for _ in 0..<8 {
            let current = try exec("ipvsadm", args).stdout
            if current == previous { return current }
            previous = current
        }
        return previous
    }

    /// Runs ipvsadm inside the namespace and requires success. A listing (`-L`, `-l`, `-S` and their long forms)
    /// is read until two reads agree, as `stableIpvsadm` does: every test case in the parallel pass changes its own
    /// namespace's table while others list theirs, and the kernel's dump can then repeat or skip an entry.
    @discardableResult
    func ipvsadm(_ args: String..., stdin: String? = nil) throws -> String {
        let listing = stdin == nil && args.first.map(Self.listingOptions.contains) == true
        var previous = try checkedIpvsadm(args, stdin: stdin)
        guard listing else { return previous }
        for _ in 0..<8 {
            let current = try checkedIpvsadm(args, stdin: nil)
            if current == previous { return current }
            previous = current
        }
        return previous
    }

    private static let listingOptions: Set<String> = ["-L", "-Ln", "-l", "-ln", "-S", "-Sn", "--list", "--save"]

    private func checkedIpvsadm(_ args: [String], stdin: String?) throws -> String {
        let r = try exec("ipvsadm", args, stdin: stdin)
        guard r.status == 0 else { throw TestFailure("ipvsadm \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)") }
        return r.stdout
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func ip(_ s: String) -> IPAddress {
    guard let a = IPAddress(s) else { fatalError("bad test address \(s)") }
    return a
}
