import Foundation
import ProgramRunner
import Testing

/// A new directory under /tmp (root-owned when the tests run as root) with `mode`.
func makeDirectory(mode: Int = 0o755) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
}

/// Writes a /bin/sh script with `mode` into `directory` (a new one by default) and returns its path.
func makeScript(_ body: String, mode: Int = 0o755, in directory: String? = nil) throws -> String {
    let path = try (directory ?? makeDirectory()) + "/script.sh"
    try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
}

/// A path for an output file in /tmp (a sticky directory that `nobody` can write to as well).
func outputPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("runner-out-\(UUID().uuidString)").path
}

/// The lines of a small file a program wrote.
func lines(of path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
}

/// The error of a `.failedToStart` outcome, or nil.
func startError(_ outcome: ProgramOutcome) -> ProgramRunnerError? {
    if case .failedToStart(let error) = outcome { return error }
    return nil
}

/// Waits (suspending, up to `limit`) until `condition` holds; returns whether it did.
func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Whether every process of group `pgid` is gone. A member killed a moment ago may linger as a zombie until init
/// reaps it (this machine's init reaps orphans only every few seconds), so zombies count as gone: they run nothing.
func groupIsGone(_ pgid: pid_t) -> Bool {
    if kill(-pgid, 0) == -1 && errno == ESRCH { return true }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries where entry.allSatisfy(\.isNumber) {
        // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces, so parse after the last ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let group = pid_t(fields[2]) else { continue }
        if group == pgid && fields[0] != "Z" { return false }
    }
    return true
}

@Suite("ProgramRunner", .timeLimit(.minutes(2)))
struct ProgramRunnerTests {
    let runner = ProgramRunner()

    @Test(arguments: [0, 1, 7, 255] as [Int32])
    func exitCodes(code: Int32) async throws {
        #expect(await runner.run(ProgramSpec(arguments: ["/bin/sh", "-c", "exit \(code)"])) == .exited(code))
    }

    @Test func argumentsArePassedAsTheyAre() async throws {
        let out = outputPath()
        let script = try makeScript("for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '\(out)'")
        let outcome = await runner.run(ProgramSpec(arguments: [script, "two words", "$(touch /tmp/x)", ";", ""]))
        #expect(outcome == .exited(0))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "two words\n$(touch /tmp/x)\n;\n\n")
    }

    @Test func killedBySignal() async throws {
        #expect(await runner.run(ProgramSpec(arguments: ["/bin/sh", "-c", "kill -KILL $$"])) == .signalled(SIGKILL))
        // SIGPIPE's default action kills: an ignored SIGPIPE in the test process must not be inherited.
        #expect(await runner.run(ProgramSpec(arguments: ["/bin/sh", "-c", "kill -PIPE $$"])) == .signalled(SIGPIPE))
    }

    @Test func finishingBeforeTheTimeoutIsAnExit() async throws {
        let spec = ProgramSpec(arguments: ["/bin/sh", "-c", "exit 3"], timeout: .seconds(30))
        #expect(await runner.run(spec) == .exited(3))
    }

    @Test func timeoutIgnoredByTheGroupEndsWithSIGKILL() async throws {
        let pidFile = outputPath()
        // Leader and background child both ignore SIGTERM: only the SIGKILL after the grace ends them.
        let script = try makeScript("trap '' TERM\necho $$ > '\(pidFile)'\nsleep 100 &\nwait")
        let started = ContinuousClock.now
        let outcome = await runner.run(
            ProgramSpec(arguments: [script], timeout: .milliseconds(500), killGrace: .milliseconds(500))
        )
        let elapsed = ContinuousClock.now - started
        #expect(outcome == .timedOut)
        #expect(elapsed >= .milliseconds(950))  // the TERM was ignored, so the KILL came after the grace
        #expect(elapsed < .seconds(10))
        let pgid = try #require(pid_t(try lines(of: pidFile).first ?? ""))
        #expect(try await eventually { groupIsGone(pgid) })
    }

    @Test func groupIsKilledWhenTheLeaderExitsAfterTheTimeout() async throws {
        let pidFile = outputPath()
        // The leader exits on SIGTERM; its child ignores SIGTERM. With a 60 s grace, only the SIGKILL sent to the
        // group once the leader has exited can end the child in time.
        let script = try makeScript(
            "trap 'exit 0' TERM\necho $$ > '\(pidFile)'\n(trap '' TERM; exec sleep 100) &\nwait"
        )
        let started = ContinuousClock.now
        let outcome = await runner.run(
            ProgramSpec(arguments: [script], timeout: .milliseconds(500), killGrace: .seconds(60))
        )
        #expect(outcome == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(10))
        let pgid = try #require(pid_t(try lines(of: pidFile).first ?? ""))
        #expect(try await eventually { groupIsGone(pgid) })
    }

    @Test func ownSessionMinimalEnvironmentAndNoInheritedDescriptors() async throws {
        // A descriptor without O_CLOEXEC, as a careless part of the daemon might leave one.
        let leaked = open("/dev/zero", O_RDONLY)
        #expect(leaked > 2)
        defer { close(leaked) }
        let out = outputPath()
        // The listings run in subshells: dash redirects a plain command's output in itself (keeping the old
        // stdout on fd 10), a subshell's in the subshell, so the shell's own table is what we exec'd it with.
        let script = """
            (ls /proc/$$/fd) > '\(out).fd'
            ls /proc/self/fd > '\(out).ls'
            (readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2) > '\(out).std'
            env > '\(out).env'
            (ps -o sid= -o pgid= -p $$; echo $$) > '\(out).ids'
            """
        #expect(await runner.run(ProgramSpec(arguments: ["/bin/sh", "-c", script])) == .exited(0))
        #expect(try lines(of: out + ".fd").sorted() == ["0", "1", "2"])
        // ls itself: 0, 1 (the file), 2, and the directory it reads.
        #expect(try lines(of: out + ".ls").sorted() == ["0", "1", "2", "3"])
        #expect(try lines(of: out + ".std") == ["/dev/null", "/dev/null", "/dev/null"])
        // dash exports PWD by itself; nothing else but PATH may come through.
        #expect(try lines(of: out + ".env").filter { !$0.hasPrefix("PWD=") } == ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        let ids = try lines(of: out + ".ids")
        let sessionAndGroup = ids.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(sessionAndGroup == [ids.last ?? "", ids.last ?? ""])  // session leader and group leader
    }

    @Test func userAndGroupAreApplied() async throws {
        let command = "id -u > '%@'; id -g >> '%@'; id -G >> '%@'"
        func identity(_ runner: ProgramRunner, user: String?, group: String?) async throws -> [String] {
            let out = outputPath()
            let spec = ProgramSpec(
                arguments: ["/bin/sh", "-c", command.replacingOccurrences(of: "%@", with: out)],
                user: user,
                group: group
            )
            #expect(await runner.run(spec) == .exited(0))
            return try lines(of: out)
        }
        #expect(try await identity(runner, user: "nobody", group: "nogroup") == ["65534", "65534", "65534"])
        // A user alone: its primary group (daemon's is 1).
        #expect(try await identity(runner, user: "daemon", group: nil) == ["1", "1", "1"])
        #expect(try await identity(runner, user: "daemon", group: "nogroup") == ["1", "65534", "65534"])
        // A group alone: with the default user, here root.
        #expect(try await identity(runner, user: nil, group: "nogroup") == ["0", "65534", "65534"])
        // script_user as the runner's default, and a spec's user overriding it.
        let defaulted = ProgramRunner(defaultUser: "nobody")
        #expect(try await identity(defaulted, user: nil, group: nil) == ["65534", "65534", "65534"])
        #expect(try await identity(defaulted, user: "daemon", group: nil) == ["1", "1", "1"])
        // Without any user, lvsd's own identity.
        #expect(try await identity(runner, user: nil, group: nil).first == String(getuid()))
    }

    @Test func unknownUserOrGroupFailsClearly() async throws {
        let user = "no-such-user-\(UInt32.random(in: 0...999_999))"
        let outcome = await runner.run(ProgramSpec(arguments: ["/bin/true"], user: user))
        let error = try #require(startError(outcome))
        #expect(error.code == .unknownUser)
        #expect(error.description == "cannot run '/bin/true' as user '\(user)': unknown user")
        #expect(runner.check(ProgramSpec(arguments: ["/bin/true"], user: user)) == error)

        let group = try #require(startError(await runner.run(ProgramSpec(arguments: ["/bin/true"], group: "nogrp-x"))))
        #expect(group.code == .unknownGroup)
        #expect(group.description.contains("'nogrp-x'"))
        let viaDefault = ProgramRunner(defaultUser: user)
        #expect(startError(await viaDefault.run(ProgramSpec(arguments: ["/bin/true"])))?.code == .unknownUser)
    }

    @Test func scriptSecurity() async throws {
        let secure = ProgramRunner(scriptSecurity: true)
        // Root-owned, 0755, in a root-owned 0755 directory under /tmp (sticky, hence accepted like keepalived).
        let safe = try makeScript("exit 0")
        #expect(secure.check(ProgramSpec(arguments: [safe])) == nil)
        #expect(await secure.run(ProgramSpec(arguments: [safe])) == .exited(0))

        let worldWritable = try makeScript("exit 0", mode: 0o777)
        let refused = try #require(startError(await secure.run(ProgramSpec(arguments: [worldWritable]))))
        #expect(refused.code == .unsafePermissions)
        #expect(refused.description.hasPrefix("Unsafe permissions found for script '\(worldWritable)'"))
        #expect(secure.check(ProgramSpec(arguments: [worldWritable])) == refused)

        let openDirectory = try makeDirectory(mode: 0o777)
        let inOpenDirectory = try makeScript("exit 0", in: openDirectory)
        let directoryError = try #require(startError(await secure.run(ProgramSpec(arguments: [inOpenDirectory]))))
        #expect(directoryError.code == .unsafePermissions)
        #expect(directoryError.description.contains("'\(openDirectory)' is writable by others"))

        // A link to a safe script, itself in a directory anyone can write: refused too.
        let link = openDirectory + "/link.sh"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: safe)
        #expect(startError(await secure.run(ProgramSpec(arguments: [link])))?.code == .unsafePermissions)
        // And a safe path to a script in an unsafe directory, through a link.
        let safeDirectory = try makeDirectory()
        try FileManager.default.createSymbolicLink(atPath: safeDirectory + "/l", withDestinationPath: inOpenDirectory)
        #expect(secure.check(ProgramSpec(arguments: [safeDirectory + "/l"]))?.code == .unsafePermissions)

        // Not run as root: no objection (keepalived protects root only).
        #expect(await secure.run(ProgramSpec(arguments: [worldWritable], user: "nobody")) == .exited(0))
        // Without script security, the unsafe script runs.
        #expect(await runner.run(ProgramSpec(arguments: [worldWritable])) == .exited(0))
    }

    @Test func garbageFailsToStartNamingTheProgram() async throws {
        let empty = try #require(startError(await runner.run(ProgramSpec(arguments: []))))
        #expect(empty.code == .invalidProgram)
        #expect(empty.description == "cannot run '': no program given")

        let relative = try #require(startError(await runner.run(ProgramSpec(arguments: ["bin/true"]))))
        #expect(relative.code == .invalidProgram)
        #expect(relative.description.contains("'bin/true'"))
        #expect(startError(await runner.run(ProgramSpec(arguments: ["true"])))?.code == .invalidProgram)

        let missing = try #require(startError(await runner.run(ProgramSpec(arguments: ["/nonexistent/runner-x"]))))
        #expect(missing.code == .notFound)
        #expect(missing.errno == ENOENT)
        #expect(missing.description == "cannot run '/nonexistent/runner-x': No such file or directory (errno 2)")

        let directory = try makeDirectory()
        let notAFile = try #require(startError(await runner.run(ProgramSpec(arguments: [directory]))))
        #expect(notAFile.code == .notFound)
        #expect(notAFile.description == "cannot run '\(directory)': is a directory")

        let notExecutable = try makeScript("exit 0", mode: 0o644)
        let denied = try #require(startError(await runner.run(ProgramSpec(arguments: [notExecutable]))))
        #expect(denied.code == .execFailed)
        #expect(denied.errno == EACCES)
        #expect(denied.description.contains(notExecutable))

        #expect(startError(await runner.run(ProgramSpec(arguments: ["/bin/echo", "a\0b"])))?.code == .invalidProgram)
    }

    @Test func execErrorsComeBackFromTheChild() async throws {
        // The file exists, so only execve itself (in the child) can find the interpreter missing.
        let script = try makeDirectory() + "/bad-interpreter.sh"
        try "#!/nonexistent/interpreter\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let error = try #require(startError(await runner.run(ProgramSpec(arguments: [script]))))
        #expect(error.code == .execFailed)
        #expect(error.errno == ENOENT)
        #expect(error.description == "cannot run '\(script)': No such file or directory (errno 2)")
    }

    @Test func scriptHeldOpenForWritingFailsWithETXTBSYAfterRetrying() async throws {
        let script = try makeScript("exit 0")
        let writer = open(script, O_WRONLY)
        #expect(writer >= 0)
        defer { close(writer) }
        let started = ContinuousClock.now
        let error = try #require(startError(await runner.run(ProgramSpec(arguments: [script]))))
        #expect(error.code == .execFailed)
        #expect(error.errno == ETXTBSY)
        #expect(ContinuousClock.now - started >= .milliseconds(190))  // 20 retries 10 ms apart
    }

    @Test func manyConcurrentProgramsAreAllReaped() async throws {
        let outcomes = await withTaskGroup(of: (Int, ProgramOutcome).self) { group in
            for index in 0..<200 {
                group.addTask {
                    let spec = ProgramSpec(arguments: ["/bin/sh", "-c", "exit \(index % 64)"], timeout: .seconds(60))
                    return (index, await runner.run(spec))
                }
            }
            var outcomes: [Int: ProgramOutcome] = [:]
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        #expect(outcomes.count == 200)
        for index in 0..<200 {
            #expect(outcomes[index] == .exited(Int32(index % 64)), "program \(index)")
        }
    }

    @Test func startReportsOnceThroughItsCompletion() async throws {
        let outcome = await withCheckedContinuation { continuation in
            runner.start(ProgramSpec(arguments: ["/bin/sh", "-c", "exit 9"])) { continuation.resume(returning: $0) }
        }
        #expect(outcome == .exited(9))
    }

    @Test func terminateAllKillsEveryGroup() async throws {
        let runner = ProgramRunner()
        let out = outputPath()
        let started = ContinuousClock.now
        let outcomes = try await withThrowingTaskGroup(of: ProgramOutcome.self) { group in
            for index in 0..<3 {
                group.addTask {
                    let script = "echo $$ > '\(out).\(index)'; sleep 100 & wait"
                    return await runner.run(ProgramSpec(arguments: ["/bin/sh", "-c", script]))
                }
            }
            let allStarted = try await eventually {
                (0..<3).allSatisfy { FileManager.default.fileExists(atPath: "\(out).\($0)") }
            }
            #expect(allStarted)
            runner.terminateAll()
            var outcomes: [ProgramOutcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes == [.signalled(SIGKILL), .signalled(SIGKILL), .signalled(SIGKILL)])
        #expect(ContinuousClock.now - started < .seconds(20))
        for index in 0..<3 {
            let pgid = try #require(pid_t(try lines(of: "\(out).\(index)").first ?? ""))
            #expect(try await eventually { groupIsGone(pgid) })
        }
        // The runner still runs programs afterwards.
        #expect(await runner.run(ProgramSpec(arguments: ["/bin/sh", "-c", "exit 4"])) == .exited(4))
    }
}
