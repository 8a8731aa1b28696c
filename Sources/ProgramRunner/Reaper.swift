import CConnectShim
import CSpawnShim
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A runner's thread, and what callers share with it: programs waiting to be forked, and the pids of those
/// running (for ``ProgramRunner/terminateAll()``).
final class Reaper: Sendable {
    /// The epoll token of the wake-up eventfd; programs have tokens 1, 2, ...
    static let wakeToken = UInt64.max
    /// How often a program whose exec met ETXTBSY is tried again, and how long after.
    static let busyRetries = 20
    static let busyRetryDelay = Duration.milliseconds(10)

    private struct State {
        var started = false
        /// Set when the kernel lacks pidfd_open: every program then fails with it.
        var failure: ProgramRunnerError?
        var epollFD: Int32 = -1
        var wakeFD: Int32 = -1
        var pending: [Launch] = []
        /// Programs forked and not yet reaped: their pid is still theirs, so signalling it is safe.
        var running: [UInt64: pid_t] = [:]
        /// How many times terminateAll ran.
        var terminations = 0
        /// The runner is gone: the thread ends once nothing runs.
        var stopping = false

        /// Wakes the thread (under the lock, so the eventfd cannot be closed meanwhile).
        func wake() {
            if wakeFD >= 0 { cs_eventfd_signal(wakeFD) }
        }
    }

    private let state = Mutex(State())
    let policy: ProgramPolicy

    init(policy: ProgramPolicy) {
        self.policy = policy
    }

    /// Queues a program for the thread, starting the thread first if needed.
    func enqueue(_ launch: Launch) {
        let failure: ProgramRunnerError? = state.withLock { state in
            if let failure = state.failure { return failure }
            if !state.started, let failure = startThread(&state) {
                // A kernel without pidfd_open stays so; anything else may pass: try again with the next program.
                if failure.code == .unsupported { state.failure = failure }
                return failure
            }
            state.pending.append(launch)
            if state.pending.count == 1 { state.wake() }
            return nil
        }
        if let failure {
            let error = ProgramRunnerError(failure.code, path: launch.spec.path, errno: failure.errno,
                                           message: failure.message)
            launch.completion(.failedToStart(error))
        }
    }

    /// SIGKILL to every running program's group; programs not forked yet fail.
    func terminateAll() {
        let cancelled = state.withLock { state in
            for pid in state.running.values { kill(-pid, SIGKILL) }
            state.terminations += 1
            let cancelled = state.pending
            state.pending = []
            state.wake()
            return cancelled
        }
        for launch in cancelled { launch.completion(.failedToStart(Self.terminated(launch.spec.path))) }
    }

    /// The error of a program ended by terminateAll before it started.
    static func terminated(_ path: String) -> ProgramRunnerError {
        ProgramRunnerError(.terminated, path: path, message: "not started: all programs were terminated")
    }

    /// Lets the thread end once nothing runs (the runner is gone).
    func stopWhenIdle() {
        state.withLock { state in
            state.stopping = true
            state.wake()
        }
    }

    // MARK: The thread's side

    /// Takes the queued programs, with the terminateAll count and whether to stop when idle.
    func take() -> (launches: [Launch], terminations: Int, stopping: Bool) {
        state.withLock { state in
            let launches = state.pending
            state.pending = []
            return (launches, state.terminations, state.stopping)
        }
    }

    /// Records a forked program; kills it at once if terminateAll ran since its launch was taken.
    func register(_ id: UInt64, pid: pid_t, terminationsSeen: Int) {
        state.withLock { state in
            state.running[id] = pid
            if state.terminations != terminationsSeen { kill(-pid, SIGKILL) }
        }
    }

    /// Forgets a program about to be reaped: from now on its pid may be reused, so nobody may signal it.
    func unregister(_ id: UInt64) {
        state.withLock { state in _ = state.running.removeValue(forKey: id) }
    }

    /// Closes the thread's descriptors and returns true when nothing is queued; false: go on.
    func finish() -> Bool {
        state.withLock { state in
            guard state.pending.isEmpty else { return false }
            close(state.wakeFD)
            close(state.epollFD)
            state.wakeFD = -1
            state.epollFD = -1
            state.started = false
            return true
        }
    }

    /// Opens the epoll set and eventfd and starts the thread; the error when it cannot.
    private func startThread(_ state: inout State) -> ProgramRunnerError? {
        // pidfd_open on ourselves: fails with ENOSYS before Linux 5.3.
        let probe = ps_pidfd_open(getpid())
        guard probe >= 0 else {
            let code = errno
            return code == ENOSYS
                ? ProgramRunnerError(.unsupported, path: "", errno: code,
                                     message: "pidfd_open is not available (Linux 5.3 or later is needed)")
                : ProgramRunnerError(.spawnFailed, path: "", errno: code,
                                     message: "pidfd_open: \(ProgramRunnerError.text(ofErrno: code))")
        }
        close(probe)
        let epollFD = cs_epoll_create()
        let wakeFD = cs_eventfd()
        guard epollFD >= 0, wakeFD >= 0, cs_epoll_watch_read(epollFD, wakeFD, Self.wakeToken) == 0 else {
            let code = errno
            if wakeFD >= 0 { close(wakeFD) }
            if epollFD >= 0 { close(epollFD) }
            return ProgramRunnerError(.spawnFailed, path: "", errno: code,
                                      message: "epoll/eventfd: \(ProgramRunnerError.text(ofErrno: code))")
        }
        // Programs are forked on this thread, not on the callers': PR_SET_PDEATHSIG fires when the forking *thread*
        // ends, and a thread of Swift's pool or of an event loop may end long before lvsd does.
        let created = startDetachedThread { [self] in
            var loop = ReaperLoop(reaper: self, epollFD: epollFD, wakeFD: wakeFD)
            loop.run()
        }
        guard created == 0 else {
            close(wakeFD)
            close(epollFD)
            return ProgramRunnerError(.spawnFailed, path: "", errno: created,
                                      message: "pthread_create: \(ProgramRunnerError.text(ofErrno: created))")
        }
        state.epollFD = epollFD
        state.wakeFD = wakeFD
        state.started = true
        return nil
    }
}

/// The runner's thread: forks queued programs, waits on their pidfds and the wake-up eventfd, signals timed-out
/// groups at their deadlines, reaps and reports.
struct ReaperLoop {
    /// A program running.
    private struct Child {
        let path: String
        let pid: pid_t
        let pidfd: Int32
        let completion: @Sendable (ProgramOutcome) -> Void
        /// SIGTERM to the group (the timeout), SIGKILL, and the outcome reported although the program has not
        /// exited (stuck in the kernel: it is still reaped when it does, silently).
        let termAt: ContinuousClock.Instant?
        let killAt: ContinuousClock.Instant?
        let giveUpAt: ContinuousClock.Instant?
        var sentTerm = false
        var sentKill = false
        var delivered = false

        /// Its next deadline, if any.
        var nextDeadline: ContinuousClock.Instant? {
            if !sentTerm { return termAt }
            if !sentKill { return killAt }
            return delivered ? nil : giveUpAt
        }
    }

    /// How long after SIGKILL a program that still has not exited is reported as timed out anyway.
    static let giveUpAfterKill = Duration.seconds(10)

    let reaper: Reaper
    let epollFD: Int32
    let wakeFD: Int32
    private var children: [UInt64: Child] = [:]
    private var retries: [Launch] = []
    private var lastID: UInt64 = 0
    private var terminations = 0

    init(reaper: Reaper, epollFD: Int32, wakeFD: Int32) {
        self.reaper = reaper
        self.epollFD = epollFD
        self.wakeFD = wakeFD
    }

    mutating func run() {
        var tokens = [UInt64](repeating: 0, count: 64)
        while true {
            let timeout = timeoutMilliseconds(now: .now)
            let count = tokens.withUnsafeMutableBufferPointer { buffer in
                cs_epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            // -1 (not EINTR) means a bad epoll descriptor, which this loop owns: cannot happen.
            for token in tokens.prefix(Int(max(count, 0))) {
                if token == Reaper.wakeToken {
                    cs_eventfd_drain(wakeFD)
                } else {
                    reap(token)
                }
            }
            let taken = reaper.take()
            if taken.terminations != terminations {
                terminations = taken.terminations
                let cancelled = retries
                retries = []
                for launch in cancelled { launch.completion(.failedToStart(Reaper.terminated(launch.spec.path))) }
            }
            let now = ContinuousClock.now
            let due = retries.filter { ($0.notBefore ?? now) <= now }
            retries.removeAll { ($0.notBefore ?? now) <= now }
            for launch in due + taken.launches { start(launch) }
            signalDeadlines(now: .now)
            if taken.stopping && children.isEmpty && retries.isEmpty && reaper.finish() { return }
        }
    }

    /// The epoll timeout: until the nearest deadline (rounded up to the millisecond), or -1 without one.
    private func timeoutMilliseconds(now: ContinuousClock.Instant) -> Int32 {
        let deadlines = children.values.compactMap(\.nextDeadline) + retries.compactMap(\.notBefore)
        guard let nearest = deadlines.min() else { return -1 }
        guard nearest > now else { return 0 }
        let (seconds, attoseconds) = (nearest - now).components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    /// Checks, forks and registers one program (or queues a retry after ETXTBSY).
    private mutating func start(_ launch: Launch) {
        let prepared: PreparedProgram
        do {
            prepared = try reaper.policy.prepare(launch.spec)
        } catch {
            launch.completion(.failedToStart(error))
            return
        }
        switch prepared.spawn() {
        case .failure(let error)
        where error.code == .execFailed && error.errno == ETXTBSY && launch.attempt < Reaper.busyRetries:
            // The file is open for writing somewhere (being rewritten, or its descriptor inherited by another
            // process's fork that has not exec'd yet): try again shortly.
            var retry = launch
            retry.attempt += 1
            retry.notBefore = .now + Reaper.busyRetryDelay
            retries.append(retry)
        case .failure(let error):
            launch.completion(.failedToStart(error))
        case .success(let (pid, pidfd)):
            lastID += 1
            guard cs_epoll_watch_read(epollFD, pidfd, lastID) == 0 else {
                let code = errno
                kill(-pid, SIGKILL)
                var how: Int32 = 0
                var status: Int32 = 0
                _ = ps_reap(pidfd, &how, &status)
                close(pidfd)
                let error = ProgramRunnerError(.spawnFailed, path: launch.spec.path, errno: code,
                                               message: "epoll_ctl: \(ProgramRunnerError.text(ofErrno: code))")
                launch.completion(.failedToStart(error))
                return
            }
            reaper.register(lastID, pid: pid, terminationsSeen: terminations)
            let termAt = launch.spec.timeout.map { ContinuousClock.now + $0 }
            let killAt = termAt.map { $0 + launch.spec.killGrace }
            children[lastID] = Child(
                path: launch.spec.path,
                pid: pid,
                pidfd: pidfd,
                completion: launch.completion,
                termAt: termAt,
                killAt: killAt,
                giveUpAt: killAt.map { $0 + Self.giveUpAfterKill }
            )
        }
    }

    /// SIGTERM, SIGKILL and giving up, for every program whose time has come.
    private mutating func signalDeadlines(now: ContinuousClock.Instant) {
        for id in Array(children.keys) {
            guard var child = children[id], let deadline = child.nextDeadline, deadline <= now else { continue }
            if !child.sentTerm {
                child.sentTerm = true
                kill(-child.pid, SIGTERM)
            }
            if let killAt = child.killAt, !child.sentKill, killAt <= now {
                child.sentKill = true
                kill(-child.pid, SIGKILL)
            }
            if let giveUpAt = child.giveUpAt, child.sentKill, !child.delivered, giveUpAt <= now {
                child.delivered = true
                child.completion(.timedOut)
            }
            children[id] = child
        }
    }

    /// Reaps the program whose pidfd became readable and reports its outcome.
    private mutating func reap(_ id: UInt64) {
        guard let child = children.removeValue(forKey: id) else { return }
        reaper.unregister(id)
        // The leader is a zombie until reaped, so its pid (the group's id) cannot have been reused yet.
        if child.sentTerm { kill(-child.pid, SIGKILL) }
        var how: Int32 = 0
        var status: Int32 = 0
        let reaped = ps_reap(child.pidfd, &how, &status)
        let code = errno
        close(child.pidfd)
        let outcome: ProgramOutcome
        if reaped != 0 {
            let error = ProgramRunnerError(
                .spawnFailed,
                path: child.path,
                errno: code,
                message: "waitid (is SIGCHLD ignored?): \(ProgramRunnerError.text(ofErrno: code))"
            )
            outcome = .failedToStart(error)
        } else if child.sentTerm {
            outcome = .timedOut
        } else {
            outcome = how == PS_EXITED ? .exited(status) : .signalled(status)
        }
        if !child.delivered { child.completion(outcome) }
    }
}
