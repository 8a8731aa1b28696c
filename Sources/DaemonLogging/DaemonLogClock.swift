#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The two clocks the log handler reads: local wall-clock time for timestamps, and a monotonic clock that
/// paces reconnection to the syslog socket. Tests inject fixed ones.
public struct DaemonLogClock: Sendable {
    /// The local time a line is stamped with.
    public var wallTime: @Sendable () -> LogTimestamp
    /// Monotonic nanoseconds (any origin).
    public var monotonicNanoseconds: @Sendable () -> UInt64

    /// Creates a clock from its two readings.
    public init(
        wallTime: @escaping @Sendable () -> LogTimestamp,
        monotonicNanoseconds: @escaping @Sendable () -> UInt64
    ) {
        self.wallTime = wallTime
        self.monotonicNanoseconds = monotonicNanoseconds
    }

    /// The system's clocks: `localtime_r` of `CLOCK_REALTIME`, and `CLOCK_MONOTONIC`.
    public static let system = DaemonLogClock(
        wallTime: { LogTimestamp.now() },
        monotonicNanoseconds: {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        }
    )
}
