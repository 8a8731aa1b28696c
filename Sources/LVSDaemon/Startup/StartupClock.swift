#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Milliseconds since lvsd's `main` began, on the monotonic clock: the start-up log line says how soon the kernel
/// table was programmed (the moment keepalived users wait for after a restart).
public enum StartupClock {
    /// Set on first use (a lazy, thread-safe global).
    private static let origin = now()

    /// Marks the start; call first thing in `main`.
    public static func begin() {
        _ = origin
    }

    /// Milliseconds since ``begin()``.
    public static func milliseconds() -> Int {
        Int((now() - origin) / 1_000_000)
    }

    private static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
