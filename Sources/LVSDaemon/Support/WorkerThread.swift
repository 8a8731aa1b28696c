import NIOPosix
import Synchronization

/// One thread of its own for blocking work (netlink requests, which wait up to the client's timeout for a reply;
/// reading the configuration), so that none of it runs on Swift's cooperative pool. Work runs in submission order,
/// one item at a time.
///
/// lvsd has three: the director's, through which every table change goes; a reader's, for the status and metrics
/// reads, so that a netlink reply that never comes to one delays nothing waiting on the other; and the
/// configuration reader's.
public final class WorkerThread: Sendable {
    private let pool: NIOThreadPool

    /// Starts the thread.
    public init(name: String) {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool._start(threadNamePrefix: name)
    }

    /// Runs `work` on the thread and returns its result; the calling task is suspended, not blocked. Returns nil
    /// once the thread has been shut down.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        try? await pool.runIfActive(work)
    }

    /// Runs `work` on the thread and returns its result, or nil when it has not finished within `limit` (it then
    /// still finishes on the thread; only the wait is given up) or the thread has been shut down.
    public func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () -> T) async -> T? {
        let answer = FirstAnswer<T?>()
        return await withCheckedContinuation { continuation in
            answer.wait(with: continuation)
            pool.submit { state in
                guard case .active = state else { return answer.give(nil) }
                answer.give(work())
            }
            Task {
                try? await Task.sleep(for: limit)
                answer.give(nil)
            }
        }
    }

    /// Lets queued work finish, then ends the thread.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

/// A continuation resumed by the first of several answers; later ones are dropped.
private final class FirstAnswer<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func wait(with continuation: CheckedContinuation<T, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func give(_ value: T) {
        continuation.withLock { waiting in
            waiting?.resume(returning: value)
            waiting = nil
        }
    }
}
