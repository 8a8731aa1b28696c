import Dispatch
import IPVSKit
import ProgramRunner
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread of its own that runs submitted work in order, one item at a time; callers await the result.
final class SerialThread: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
        /// A job is running (on the thread, or on a caller's thread through ``runHereIfIdle(_:)``).
        var busy = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    init() throws(NetworkError) {
        let created = startDetachedThread { [self] in loop() }
        guard created == 0 else { throw NetworkError("start a worker thread", .errno(created)) }
    }

    private func loop() {
        while true {
            wake.wait()
            // While a caller runs a job of its own, the queue waits: the caller signals again when it is done.
            let job: (@Sendable () -> Void)? = state.withLock { s in
                guard !s.busy, !s.jobs.isEmpty else { return nil }
                s.busy = true
                return s.jobs.removeFirst()
            }
            if let job {
                job()
                state.withLock { $0.busy = false }
            } else if state.withLock({ $0.stopped && $0.jobs.isEmpty && !$0.busy }) {
                return
            }
        }
    }

    /// Runs `work` on the calling thread at once when nothing is queued or running (no hand-over to this thread:
    /// a VRRP takeover's VIPs go on without waiting for a thread to wake up); otherwise queues it as ``submit(_:)``
    /// does. Either way it runs after everything queued before and before anything queued later.
    func runHereIfIdle(_ work: @escaping @Sendable () -> Void) {
        let here = state.withLock { s in
            guard !s.busy, s.jobs.isEmpty, !s.stopped else { return false }
            s.busy = true
            return true
        }
        guard here else { return submit(work) }
        work()
        let queued = state.withLock { s in
            s.busy = false
            return !s.jobs.isEmpty || s.stopped
        }
        if queued { wake.signal() }
    }

    /// Runs `work` on the thread; the calling task is suspended, not blocked.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let accepted = state.withLock { s in
                guard !s.stopped else { return false }
                s.jobs.append { continuation.resume(returning: work()) }
                return true
            }
            if accepted { wake.signal() } else { continuation.resume(returning: work()) }
        }
    }

    /// Queues `work` without waiting for it; work runs in the order it was queued (after the thread stops, it runs
    /// on the caller's thread at once).
    func submit(_ work: @escaping @Sendable () -> Void) {
        let accepted = state.withLock { s in
            guard !s.stopped else { return false }
            s.jobs.append(work)
            return true
        }
        if accepted { wake.signal() } else { work() }
    }

    /// Lets queued work finish, then ends the thread.
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }
}

/// Runs `body` with the calling thread in the network namespace `nameOrPath` (an `ip netns` name or a path;
/// `nil`: where it is), then switches the thread back, through IPVSKit's one namespace helper. Sockets (raw, packet,
/// netlink) belong to the namespace of the thread that creates them, for their whole life: this library creates
/// each socket in here and then uses it from any thread.
func inNetworkNamespace<T>(_ nameOrPath: String?, _ body: () throws(NetworkError) -> T) throws(NetworkError) -> T {
    guard let nameOrPath else { return try body() }
    return try NetworkNamespace.during(NetworkNamespace.path(for: nameOrPath), body,
                                       failure: { NetworkError($0, .errno($1)) })
}
