import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The director loop's liveness signal: the loop beats once a second, and `/healthz` answers from how long ago
/// the last beat was.
public final class Heartbeat: Sendable {
    private let last = Atomic<Int64>(0)
    private let clock: @Sendable () -> Int64

    /// Creates a heartbeat that has not beaten yet. `clock` gives monotonic nanoseconds (tests substitute one).
    public init(clock: @escaping @Sendable () -> Int64 = Heartbeat.monotonicNanoseconds) {
        self.clock = clock
    }

    /// Records a beat now.
    public func beat() {
        last.store(clock(), ordering: .relaxed)
    }

    /// How long ago the last beat was; nil before the first.
    public var age: Duration? {
        let at = last.load(ordering: .relaxed)
        guard at != 0 else { return nil }
        return .nanoseconds(clock() - at)
    }

    /// `/healthz`'s judgement: alive when the loop beat within `limit`.
    public func isAlive(within limit: Duration) -> (alive: Bool, reason: String) {
        guard let age else { return (false, "the director loop has not started") }
        if age <= limit { return (true, "ok") }
        let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
        let text = String(Int(seconds.rounded()))
        return (false, "the director loop last ran \(text) s ago")
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    @Sendable public static func monotonicNanoseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
