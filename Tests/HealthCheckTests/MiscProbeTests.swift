import Foundation
import Testing

@testable import HealthCheck

/// Writes an executable shell script (the script itself uses /bin/sh; lvsd runs it directly, not via a shell).
func makeScript(_ body: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hc-misc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("check.sh").path
    try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
}

@Suite("MISC_CHECK probes", .timeLimit(.minutes(1)))
struct MiscProbeTests {
    @Test func exitZeroSucceeds() async throws {
        let result = try await runProbe(.misc(MiscCheck(path: try makeScript("exit 0"))))
        #expect(result.failure == nil)
        #expect(result.exitCode == 0)
    }

    @Test func exitOneFails() async throws {
        let result = try await runProbe(.misc(MiscCheck(path: try makeScript("exit 1"))))
        #expect(result.failure == .scriptExit(1))
    }

    @Test func dynamicExitCodesSucceedWithTheirCode() async throws {
        let path = try makeScript("exit 12")
        let dynamic = try await runProbe(.misc(MiscCheck(path: path, dynamic: true)))
        #expect(dynamic.failure == nil && dynamic.exitCode == 12)
        let plain = try await runProbe(.misc(MiscCheck(path: path)))
        #expect(plain.failure == .scriptExit(12))
        // Through the state machine: weight 10.
        var machine = CheckerStateMachine(
            spec: CheckSpec(probe: .misc(MiscCheck(path: path, dynamic: true)), timers: CheckTimers(retry: 0))
        )
        #expect(machine.record(dynamic).weight == 10)
    }

    @Test func argumentsArePassedWithoutAShell() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hc-args-\(UUID().uuidString)").path
        // Programs get a minimal environment (PATH only), so the output path is written into the script.
        let script = try makeScript("for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '\(out)'")
        // No shell: quotes are already split, $(...) and ; are not interpreted.
        let check = try #require(MiscCheck(commandLine: "\(script) 'two words' \"$(touch /tmp/hc-pwned)\" ';' plain"))
        #expect(check.arguments == ["two words", "$(touch /tmp/hc-pwned)", ";", "plain"])
        let result = try await runProbe(.misc(check))
        #expect(result.failure == nil)
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written == "two words\n$(touch /tmp/hc-pwned)\n;\nplain\n")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hc-pwned"))
    }

    @Test func timeoutKillsTheProcessGroup() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("hc-child-\(UUID().uuidString)").path
        // The script starts a child that would write the marker after 8 s; killing the group must stop it.
        let script = try makeScript("(sleep 8; touch \(marker)) &\nsleep 30")
        let started = ContinuousClock.now
        let result = try await runProbe(
            .misc(MiscCheck(path: script, timeout: .milliseconds(300), killGrace: .milliseconds(300)))
        )
        let elapsed = ContinuousClock.now - started
        #expect(result.failure == .scriptTimeout(.milliseconds(300)))
        #expect(elapsed < .seconds(8), "killed before the child's 8 s were up (generous for a busy machine)")
        try await Task.sleep(until: started + .seconds(10))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func termIgnoringScriptIsKilledAfterTheGrace() async throws {
        let script = try makeScript("trap '' TERM\nsleep 30")
        let started = ContinuousClock.now
        let result = try await runProbe(
            .misc(MiscCheck(path: script, timeout: .milliseconds(200), killGrace: .milliseconds(300)))
        )
        #expect(result.failure == .scriptTimeout(.milliseconds(200)))
        #expect(ContinuousClock.now - started < .seconds(20))  // killed, not waited for (sleep 30)
    }

    @Test func defaultTimeoutIsTheDelayLoop() async throws {
        let script = try makeScript("sleep 30")
        let result = try await runProbe(
            .misc(MiscCheck(path: script, killGrace: .milliseconds(100))),
            defaultTimeout: .milliseconds(200)
        )
        #expect(result.failure == .scriptTimeout(.milliseconds(200)))
    }

    @Test func missingScriptFailsClearly() async throws {
        let result = try await runProbe(.misc(MiscCheck(path: "/nonexistent/hc-check")))
        guard case .scriptSpawn(let path, let errno, _) = result.failure else {
            Issue.record("expected a spawn failure, got \(String(describing: result.failure))")
            return
        }
        #expect(path == "/nonexistent/hc-check")
        #expect(errno == ENOENT)
    }

    @Test func runsAsTheCheckUserAndGroup() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hc-id-\(UUID().uuidString)").path
        let script = try makeScript("id -u > '\(out)'; id -g >> '\(out)'")
        let result = try await runProbe(.misc(MiscCheck(path: script, user: "daemon", group: "nogroup")))
        #expect(result.failure == nil)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "1\n65534\n")
        let unknown = try await runProbe(.misc(MiscCheck(path: script, user: "no-such-hc-user")))
        guard case .scriptSpawn(let path, _, let message) = unknown.failure else {
            Issue.record("expected a spawn failure, got \(String(describing: unknown.failure))")
            return
        }
        #expect(path == script)
        #expect(message == "cannot run '\(script)' as user 'no-such-hc-user': unknown user")
    }

    @Test func killedBySignalIsAFailure() async throws {
        let result = try await runProbe(.misc(MiscCheck(path: try makeScript("kill -9 $$"))))
        #expect(result.failure == .scriptSignal(9))
    }

    @Test func commandLineSplitting() {
        #expect(MiscCheck.split(#"/bin/check -a "b c" 'd "e"' f\ g"#) == ["/bin/check", "-a", "b c", #"d "e""#, "f g"])
        #expect(MiscCheck(commandLine: "   ") == nil)
    }
}

@Suite("MISC scripts at engine shutdown", .timeLimit(.minutes(1)))
struct MiscShutdownTests {
    @Test func shutdownKillsRunningScripts() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("hc-shutdown-\(UUID().uuidString)")
            .path
        // The script writes the marker 6 s after it starts (at 1 s): seconds of slack for a busy machine.
        let script = try makeScript("sleep 6\ntouch \(marker)")
        let started = ContinuousClock.now
        let engine = CheckEngine(random: { 0 }, logger: quietLogger)
        let spec = CheckSpec(
            probe: .misc(MiscCheck(path: script, timeout: .seconds(30))),
            timers: CheckTimers(delayLoop: .seconds(30))
        )
        await engine.add(CheckerConfig(id: CheckerID(virtualServer: "VS", realServer: "RS"), spec: spec))
        try await Task.sleep(for: .milliseconds(1300))  // the script has started (first run at 1 s)
        await engine.shutdown()
        try await Task.sleep(until: started + .seconds(8))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
