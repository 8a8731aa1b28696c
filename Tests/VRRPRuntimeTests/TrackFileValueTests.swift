import Foundation
import Logging
import Testing
import TrackFile
@testable import VRRPRuntime

/// Track file content as keepalived 2.2.7 reads it (strtol base 0, INT32_MIN...INT32_MAX + 1), garbage included.
@Suite struct TrackFileValueTests {
    static let cases: [(String, TrackFileNumber)] = [
        ("42\n", .number(42)),
        ("  \n\t-17 trailing words", .number(-17)),
        ("+5", .number(5)),
        ("0x1f", .number(31)),
        ("010", .number(8)),
        ("12abc", .number(12)),
        ("", .number(0)),
        ("abc", .number(0)),
        ("--5", .number(0)),
        ("\u{1}\u{2}\u{7f}garbage", .number(0)),
        ("-2147483648", .number(-2_147_483_648)),
        ("2147483648", .number(2_147_483_648)),
        ("2147483649", .outOfRange(2_147_483_649)),
        ("-2147483649", .outOfRange(-2_147_483_649)),
        ("99999999999999999999999", .outOfRange(Int64.max)),
    ]

    @Test(arguments: cases) func readsAsStrtol(_ c: (String, TrackFileNumber)) {
        #expect(TrackFile.parse(Array(c.0.utf8)) == c.1, "\(c.0.debugDescription)")
    }

    @Test func aNULEndsTheText() {
        #expect(TrackFile.parse([0x37, 0x00, 0x39]) == .number(7))
    }

    /// Files that are missing, empty, a directory, a FIFO with no writer (must not block) or binary junk read as
    /// 0; an out-of-range number is ignored (nil: the previous value stays) and logged with the path.
    @Test func filesThatCannotBeReadAreZeroAndOutOfRangeIsIgnored() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tfv-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logs = LogCapture()
        let logger = Logger(label: "t") { _ in logs }
        #expect(FileTracker.value("\(dir)/missing", logger: logger) == 0)
        FileManager.default.createFile(atPath: "\(dir)/empty", contents: Data())
        #expect(FileTracker.value("\(dir)/empty", logger: logger) == 0)
        #expect(FileTracker.value(dir, logger: logger) == 0)
        #expect(mkfifo("\(dir)/fifo", 0o600) == 0)
        #expect(FileTracker.value("\(dir)/fifo", logger: logger) == 0)
        FileManager.default.createFile(atPath: "\(dir)/junk", contents: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
        #expect(FileTracker.value("\(dir)/junk", logger: logger) == 0)
        FileManager.default.createFile(atPath: "\(dir)/ok", contents: Data("  -25\n".utf8))
        #expect(FileTracker.value("\(dir)/ok", logger: logger) == -25)
        FileManager.default.createFile(atPath: "\(dir)/big", contents: Data("4294967296\n".utf8))
        #expect(FileTracker.value("\(dir)/big", logger: logger) == nil)
        #expect(logs.lines.contains("Invalid number 4294967296 read from \(dir)/big - ignoring"), "\(logs.lines)")
    }
}

/// Log messages kept in memory.
private final class LogCapture: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.withLock { stored } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lock.withLock { stored.append("\(event.message)") } }
}
