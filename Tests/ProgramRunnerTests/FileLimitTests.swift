import Foundation
import Testing
@testable import ProgramRunner

/// lvsd's open-file limit, raised for its checkers as keepalived raises its own; scripts get the limit lvsd
/// started with. One test: the limit is the process's, and the first raise records the original.
@Suite("FileLimit", .timeLimit(.minutes(1)))
struct FileLimitTests {
    @Test func raisesNeverLowersAndChildrenGetTheOriginal() async throws {
        let before = FileLimit.ensure(atLeast: 0)  // asks for nothing: reads the limits, records the original
        #expect(before.failure == nil)
        try #require(before.soft < 1 << 20, "an unlimited soft limit cannot show a raise")

        let wanted = Int(before.soft) + 100
        let raised = FileLimit.ensure(atLeast: wanted)
        if raised.failure == nil {
            #expect(raised.soft >= UInt64(wanted))
            #expect(raised.hard >= raised.soft)
        } else {
            // Not allowed past the hard limit: as far as it goes.
            #expect(raised.soft == before.hard)
        }
        let lower = FileLimit.ensure(atLeast: 16)
        #expect(lower.soft == raised.soft && lower.failure == nil, "never lowered")

        // A script started now sees the limit the process had before the raise.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("filelimit-\(getpid())").path
        defer { unlink(out) }
        let outcome = await ProgramRunner().run(ProgramSpec(arguments: ["/bin/sh", "-c", "ulimit -n > '\(out)'"]))
        #expect(outcome == .exited(0))
        let seen = try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(seen == "\(before.soft)")

        // Past anything the kernel allows (fs.nr_open): refused with the reason, the soft limit at the hard one.
        let impossible = FileLimit.ensure(atLeast: 1 << 40)
        let failure = try #require(impossible.failure)
        #expect(!failure.isEmpty)
        #expect(impossible.soft == impossible.hard)
    }

    @Test func requiredGrowsWithTheCheckers() {
        #expect(FileLimit.required(checkers: 0) == 256)
        #expect(FileLimit.required(checkers: 1000) == 2256)
    }
}
