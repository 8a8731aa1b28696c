import DaemonLogging
import Synchronization

/// A clock that stands still until moved: a fixed wall time and a monotonic reading the test advances.
final class TestClock: Sendable {
    /// Friday 7 March 2025, 09:05:03: a one-digit day and zero-padded fields.
    static let fixedTime = LogTimestamp(year: 2025, month: 3, day: 7, hour: 9, minute: 5, second: 3, weekday: 5)

    private let nanoseconds = Mutex<UInt64>(1_000_000_000_000)
    private let time = Mutex(TestClock.fixedTime)

    /// Moves the monotonic clock on.
    func advance(milliseconds: UInt64) {
        self.nanoseconds.withLock { $0 += milliseconds * 1_000_000 }
    }

    /// Sets the wall time lines are stamped with.
    func set(_ timestamp: LogTimestamp) {
        self.time.withLock { $0 = timestamp }
    }

    var clock: DaemonLogClock {
        DaemonLogClock(
            wallTime: { self.time.withLock { $0 } },
            monotonicNanoseconds: { self.nanoseconds.withLock { $0 } }
        )
    }
}

/// Console lines captured in memory.
final class CapturedConsole: Sendable {
    private let lines = Mutex<[String]>([])

    var writer: ConsoleWriter { ConsoleWriter { line in self.lines.withLock { $0.append(line) } } }
    var captured: [String] { self.lines.withLock { $0 } }
}
