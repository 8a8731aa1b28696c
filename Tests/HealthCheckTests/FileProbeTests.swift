import Foundation
import Testing

@testable import HealthCheck

@Suite("FILE_CHECK: reading real track files", .timeLimit(.minutes(1)))
struct FileProbeTests {
    private func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lvsd-filecheck-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    private func read(_ path: String, _ check: FileCheck? = nil) async throws -> ProbeResult {
        try await runProbe(.file(check ?? FileCheck(name: "t", path: path)))
    }

    @Test func numberGarbageEmptyAndMissing() async throws {
        let path = tempPath("value")
        try "12\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await read(path).fileValue == 12)
        try "not a number\n".write(toFile: path, atomically: true, encoding: .utf8)
        let garbage = try await read(path)
        #expect(garbage.failure == nil && garbage.fileValue == 0)
        try Data([0xFF, 0x00, 0x31]).write(to: URL(fileURLWithPath: path))
        #expect(try await read(path).fileValue == 0)
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await read(path).fileValue == 0)
        #expect(try await read(path + ".missing").fileValue == 0)
        // A directory cannot be read: 0.
        #expect(try await read(FileManager.default.temporaryDirectory.path).fileValue == 0)
    }

    @Test func outOfRangeIsAClearIgnoredError() async throws {
        let path = tempPath("big")
        try "99999999999\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await read(path)
        #expect(result.failure == .trackFileValue("Invalid number 99999999999 read from \(path) - ignoring"))
        #expect(result.fileValue == nil)
    }

    @Test func onlyTheFirst127BytesCount() async throws {
        let path = tempPath("long")
        try (String(repeating: " ", count: 127) + "5\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await read(path).fileValue == 0)
        try (String(repeating: " ", count: 126) + "5\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await read(path).fileValue == 5)
    }

    @Test func initFileCreatesOnceAndOverwriteRewrites() async throws {
        let created = tempPath("created")
        let first = try await read(created, FileCheck(name: "c", path: created, initValue: 4))
        #expect(first.fileValue == 4)
        #expect(try String(contentsOfFile: created, encoding: .utf8) == "4\n")
        let existing = tempPath("existing")
        try "9\n".write(toFile: existing, atomically: true, encoding: .utf8)
        #expect(try await read(existing, FileCheck(name: "e", path: existing, initValue: 1)).fileValue == 9)
        let overwritten = tempPath("overwritten")
        try "9\n".write(toFile: overwritten, atomically: true, encoding: .utf8)
        let check = FileCheck(name: "o", path: overwritten, initValue: -3, initOverwrite: true)
        #expect(try await read(overwritten, check).fileValue == -3)
        // Once per process, as keepalived writes it when it reads the configuration, not on every read.
        try "8\n".write(toFile: overwritten, atomically: true, encoding: .utf8)
        #expect(try await read(overwritten, check).fileValue == 8)
        // Not a regular file: a clear line, nothing written.
        let dir = tempPath("dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let notRegular = try await read(dir, FileCheck(name: "d", path: dir, initValue: 1, initOverwrite: true))
        #expect(notRegular.notes == ["Cannot initialise track file d - it is not a regular file"])
    }
}
