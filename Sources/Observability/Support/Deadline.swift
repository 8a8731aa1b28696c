import Synchronization

/// Runs `operation` in its own task and returns its result, or nil when `timeout` passes first (or the caller
/// is cancelled).
///
/// Unlike a task group, this does not wait for an operation that ignores cancellation: the operation is
/// cancelled and left to finish on its own, and the caller goes on at the deadline. That is what a server
/// needs when the work is a caller-supplied closure it cannot trust to return.
func firstResult<T: Sendable>(
    within timeout: Duration,
    _ operation: @escaping @Sendable () async -> T
) async -> T? {
    let race = Race()
    return await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let work = Task {
                let value = await operation()
                if race.claim() {
                    race.cancelTimer()
                    continuation.resume(returning: value)
                }
            }
            race.setWork(work)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if race.claim() {
                    work.cancel()
                    continuation.resume(returning: nil)
                }
            }
            race.setTimer(timer)
            if Task.isCancelled { timer.cancel() }
        }
    } onCancel: {
        // Wake the timer now: it answers nil unless the work has already answered.
        race.cancelTimer()
        race.cancelWork()
    }
}

/// The shared state of ``firstResult(within:_:)``: who answered first, and the two tasks.
private final class Race: Sendable {
    private let claimed = Mutex(false)
    private let timer = Mutex<Task<Void, Never>?>(nil)
    private let work = Mutex<Task<Void, Never>?>(nil)

    /// True for the first caller only.
    func claim() -> Bool {
        self.claimed.withLock { done in
            defer { done = true }
            return !done
        }
    }

    func setTimer(_ task: Task<Void, Never>) { self.timer.withLock { $0 = task } }
    func setWork(_ task: Task<Void, Never>) { self.work.withLock { $0 = task } }
    func cancelTimer() { self.timer.withLock { $0?.cancel() } }
    func cancelWork() { self.work.withLock { $0?.cancel() } }
}
