import CConnectShim
import ProgramRunner
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The VRRP engine's own thread, keepalived-style: one epoll loop that runs the engine actor's jobs and reads the
/// VRRP sockets itself, so a received advert is handled on the thread that read it (one wake-up per packet, not a
/// receive thread handing over to the cooperative pool), and keeps the engine's timers, firing them from
/// `epoll_wait`'s timeout (no task or dispatch timer per advert). Work that blocks never comes here: address changes go
/// to the netlink thread, scripts to the program runner.
final class EngineExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: `jobs` is behind a Mutex; `handlers` is touched only on the loop's thread (registrations come
    // from the actor, whose code runs there).
    private let jobs = Mutex<[UnownedJob]>([])
    private let epoll: Int32
    private let wake: Int32
    /// For sleeps longer than ``epollTimeoutLimit``: a timerfd fires on time, where an `epoll_wait` timeout may
    /// fire up to 0.1% of its length late (the kernel's slack for poll timeouts: 3.6 ms on a VRRPv2 Master_Down
    /// interval, a takeover that late). -1 if none could be made (the epoll timeout then does it all).
    private let timerFD: Int32
    /// The deadline (offset from ``epoch``) the timerfd is armed for, if it is.
    private var armedDeadline: Duration?
    /// By descriptor (an index, not a hash, per packet).
    private var handlers: [((ContinuousClock.Instant) -> Void)?] = []
    private var timers = TimerHeap()
    /// The heap's instants are kept as offsets from this one: `ContinuousClock.Instant` is not a frozen type, so
    /// every copy of one is a call through its value witnesses, and the heap copies them on every advert.
    private let epoch = ContinuousClock.now
    /// Called on the loop's thread with each timer token that came due and the instant the loop read after its
    /// wait (set once by the engine).
    private var onTimer: ((Int, ContinuousClock.Instant) -> Void)?
    /// Called on the loop's thread, before it sleeps, with the earliest token: that timer's current deadline, or
    /// `nil` when it was cancelled (set once by the engine).
    private var resolveTimer: ((Int) -> ContinuousClock.Instant?)?
    private let thread = Mutex<pthread_t?>(nil)

    /// Starts the loop's thread.
    init() throws(VRRPRuntimeError) {
        epoll = cs_epoll_create()
        wake = cs_eventfd()
        let timer = cs_timerfd()
        timerFD = timer >= 0 && cs_epoll_watch_read(epoll, timer, UInt64(timer)) == 0 ? timer : -1
        guard epoll >= 0, wake >= 0, cs_epoll_watch_read(epoll, wake, UInt64(wake)) == 0 else {
            throw VRRPRuntimeError("create the VRRP engine's event loop: \(String(cString: strerror(errno)))")
        }
        let created = startDetachedThread { [self] in loop() }
        guard created == 0 else { throw VRRPRuntimeError("start the VRRP engine's thread (errno \(created))") }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        cs_eventfd_signal(wake)
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    func checkIsolated() {
        precondition(thread.withLock { $0.map { pthread_equal($0, pthread_self()) != 0 } ?? false },
                     "not on the VRRP engine's thread")
    }

    /// Calls `handler` on the loop's thread whenever `fd` is readable, with the instant the loop read when its wait
    /// ended (one clock read per wake-up, not per packet). Call on the loop's thread (from the actor).
    func watch(_ fd: Int32, _ handler: @escaping (ContinuousClock.Instant) -> Void) {
        guard fd >= 0 else { return }
        if handlers.count <= Int(fd) { handlers += Array(repeating: nil, count: Int(fd) + 1 - handlers.count) }
        handlers[Int(fd)] = handler
        _ = cs_epoll_watch_read(epoll, fd, UInt64(fd))
    }

    /// Sets what runs when a timer comes due. Call on the loop's thread.
    func setTimerHandler(_ handler: @escaping (Int, ContinuousClock.Instant) -> Void) { onTimer = handler }

    /// Sets how the loop finds a token's current deadline before sleeping on it: a timer re-armed later (a BACKUP
    /// hearing its master pushes Master_Down back on every advert) or cancelled costs no wake-up of its own when
    /// it falls within ``settleWindow`` of a wake-up the loop has anyway (a packet), as keepalived's timer tree
    /// re-sorted on every advert costs none. Call on the loop's thread.
    func setTimerResolver(_ resolver: @escaping (Int) -> ContinuousClock.Instant?) { resolveTimer = resolver }

    /// Calls the timer handler with `token` at `deadline` (or as soon after as the loop gets to it). Call on the
    /// loop's thread.
    func schedule(_ token: Int, at deadline: ContinuousClock.Instant) { timers.push(epoch.duration(to: deadline), token) }

    /// Stops watching `fd` (before it is closed). Call on the loop's thread.
    func unwatch(_ fd: Int32) {
        if fd >= 0 && Int(fd) < handlers.count { handlers[Int(fd)] = nil }
        _ = cs_epoll_unwatch(epoll, fd)
    }

    /// How far ahead of now the loop checks its earliest timers for a later deadline before sleeping. Entries
    /// further out are left alone: a BACKUP's Master_Down moves on every advert, so checking it early only means
    /// checking it again.
    static let settleWindow = Duration.milliseconds(10)

    /// The longest sleep left to `epoll_wait`'s own timeout: its slack (0.1% of the timeout, at least the thread's
    /// 50 µs) is no more than 50 µs up to here. Longer sleeps end by the timerfd, re-armed only when the deadline
    /// changes (a BACKUP's stale Master_Down entry stays on top for many wake-ups: no system call for each).
    static let epollTimeoutLimit: Int64 = 50_000_000

    /// The loop's wait for a deadline, in nanoseconds (`epoll_pwait2`: a VRRP timer fires within microseconds of
    /// its instant, as keepalived's timerfd does, not up to a millisecond late), rounded up so the loop does not
    /// wake early and spin; 0 (never negative, which would mean forever) for a deadline already passed: a late
    /// loop must fire at once.
    static func timeout(until deadline: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Int64 {
        timeout(now.duration(to: deadline))
    }

    /// ``timeout(until:now:)`` for the duration from now to the deadline.
    static func timeout(_ d: Duration) -> Int64 {
        guard d > .zero else { return 0 }
        let (s, a) = d.components
        return s.multipliedReportingOverflow(by: 1_000_000_000).overflow ? Int64.max
            : s * 1_000_000_000 + (a + 999_999_999) / 1_000_000_000
    }

    private func loop() {
        thread.withLock { $0 = pthread_self() }
        var tokens = [UInt64](repeating: 0, count: 32)
        while true {
            var timeout: Int64 = -1
            let now = epoch.duration(to: .now)
            if let resolveTimer {
                timers.settle(before: now + Self.settleWindow) { token in
                    resolveTimer(token).map { epoch.duration(to: $0) }
                }
            }
            if let next = timers.first {
                timeout = Self.timeout(next - now)
                if timeout > Self.epollTimeoutLimit && timerFD >= 0 {
                    if armedDeadline == next || cs_timerfd_arm_ns(timerFD, timeout) == 0 {
                        armedDeadline = next
                        timeout = -1
                    }
                }
            }
            let n = cs_epoll_wait_ns(epoll, &tokens, 32, timeout)
            if n < 0 && n != -EINTR { return }
            let instant = ContinuousClock.now
            for i in 0..<max(Int(n), 0) {
                let fd = Int(truncatingIfNeeded: tokens[i])
                if fd == Int(wake) {
                    cs_eventfd_drain(wake)
                } else if fd == Int(timerFD) {
                    cs_eventfd_drain(timerFD)  // expired: the timers below fire
                    armedDeadline = nil
                } else if fd < handlers.count, let handler = handlers[fd] {
                    handler(instant)
                }
            }
            while let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                job.runSynchronously(on: asUnownedSerialExecutor())
            }
            let after = epoch.duration(to: instant)
            while let next = timers.first, next <= after, let token = timers.pop() { onTimer?(token, instant) }
        }
    }
}

/// A binary min-heap of (deadline, token), deadlines as offsets from an epoch the owner chooses.
struct TimerHeap {
    private var items: [(deadline: Duration, token: Int)] = []

    /// The earliest deadline.
    var first: Duration? { items.first?.deadline }

    mutating func push(_ deadline: Duration, _ token: Int) {
        items.append((deadline, token))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadline < items[parent].deadline else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    /// Moves or drops the earliest entries due before `limit` until the earliest is current: `current(token)`
    /// gives a token's deadline now (`nil`: cancelled). Ends because an entry moved is never moved again until
    /// re-armed.
    mutating func settle(before limit: Duration, _ current: (Int) -> Duration?) {
        while let top = items.first, top.deadline <= limit {
            guard let deadline = current(top.token) else {
                _ = pop()
                continue
            }
            guard deadline != top.deadline else { return }
            items[0].deadline = deadline
            siftDown(0)
        }
    }

    /// Removes the earliest entry and returns its token.
    mutating func pop() -> Int? {
        guard !items.isEmpty else { return nil }
        let token = items[0].token
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return token
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l].deadline < items[smallest].deadline { smallest = l }
            if r < items.count && items[r].deadline < items[smallest].deadline { smallest = r }
            guard smallest != i else { return }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}

/// Why the VRRP engine cannot start.
public struct VRRPRuntimeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
