import CConnectShim
import NIOCore
import ProgramRunner
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs `TCP_CHECK` attempts the way keepalived does: `socket`, non-blocking `connect`, wait for writability
/// or the deadline, `getsockopt(SO_ERROR)`, `close`. No NIO channel, pipeline or timer is made per probe.
///
/// One dedicated thread owns an epoll set with every connect in flight and a min-heap of their deadlines.
/// Requests reach it through a locked queue and an eventfd that is signalled only when the queue was empty;
/// the verdicts of one wake-up are handed back to each event loop in a single `execute`, so thousands of checks
/// a second cost a few cross-thread wake-ups, not two per probe.
///
/// Targets that are not numeric addresses (host names) are probed through NIO (``NIOCheckProber``'s path) and
/// resolved there. The thread starts with the first probe; ``shared`` lives for the process.
///
/// ```swift
/// let result = try await TCPConnectProber.shared.probe(check, on: eventLoop).get()
/// ```
public final class TCPConnectProber: Sendable {
    /// The process-wide prober ``NIOCheckProber`` uses by default.
    public static let shared = TCPConnectProber()

    struct Request: Sendable {
        var target: SocketAddressBytes
        var local: SocketAddressBytes?
        var mark: UInt32?
        /// For error messages only (formatted on failure).
        var checkTarget: CheckTarget
        var start: UInt64
        var timeout: UInt64
        /// nil only in a ``PeriodicTCPCheck``'s template.
        var completion: Completion?
    }

    /// Where a connect's verdict goes.
    enum Completion: Sendable {
        /// A single probe's future.
        case promise(EventLoopPromise<ProbeResult>)
        /// A repeated check (its first start is the request's `start`, which may lie ahead).
        case periodic(PeriodicTCPCheck)
    }

    private struct State: Sendable {
        var pending: [Request] = []
        var epollFD: Int32 = -1
        var wakeFD: Int32 = -1
        var started = false
        var failedToStart = false
        var stopped = false
    }

    private let state = Mutex(State())
    /// Milliseconds the thread sleeps before its next wait (tests: a starved prober thread); 0 normally.
    private let pendingStall = Atomic<Int64>(0)

    /// Creates a prober; its thread starts with the first probe. Most code uses ``shared``.
    public init() {}

    /// Runs one attempt of `check`; the future (on `eventLoop`) always succeeds with a ``ProbeResult``:
    /// ``ProbeFailure/connectionRefused``, ``ProbeFailure/connectTimeout`` after `connect_timeout`, or
    /// ``ProbeFailure/connectionFailed(_:)`` for any other error.
    public func probe(_ check: TCPCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        let start = NIODeadline.now().uptimeNanoseconds
        let target: SocketAddressBytes, local: SocketAddressBytes?
        switch Self.addresses(of: check) {
        case .hostName: return Self.throughNIO(check, on: eventLoop)
        case .invalidBind(let host):
            return eventLoop.makeSucceededFuture(.failed(.connectionFailed("invalid bind address \(host)")))
        case .numeric(let t, let l): (target, local) = (t, l)
        }
        let promise = eventLoop.makePromise(of: ProbeResult.self)
        let request = Request(target: target, local: local, mark: check.fwmark, checkTarget: check.target,
                              start: start, timeout: Self.nanoseconds(check.connectTimeout), completion: .promise(promise))
        if !enqueue(request) {
            // Stopped, or no thread could start: NIO completes the promise instead.
            promise.completeWith(Self.throughNIO(check, on: eventLoop))
        }
        return promise.futureResult
    }

    /// Repeats `check` on the prober's thread while its outcome stays `expectSuccess` (see ``PeriodicTCPCheck``):
    /// the first connect starts at `firstStart` (uptime ns), each next one `interval` after the previous one ended,
    /// on a grid of `slack`. Returns nil when the check cannot run here (a host name, a bad bind address, a
    /// stopped prober); the caller then keeps scheduling single probes.
    public func startPeriodic(_ check: TCPCheck, firstStart: UInt64, interval: Duration, slack: Duration,
                              expectSuccess: Bool, observe: @escaping @Sendable (ProbeResult) -> Void,
                              deviate: @escaping @Sendable (ProbeResult) -> Void) -> PeriodicTCPCheck? {
        guard case .numeric(let target, let local) = Self.addresses(of: check) else { return nil }
        let request = Request(target: target, local: local, mark: check.fwmark, checkTarget: check.target,
                              start: 0, timeout: Self.nanoseconds(check.connectTimeout), completion: nil)
        let periodic = PeriodicTCPCheck(
            template: request, interval: Self.nanoseconds(interval), slack: Self.nanoseconds(slack),
            expectSuccess: expectSuccess, observe: observe, deviate: deviate)
        var first = request
        first.start = periodic.aligned(firstStart)
        first.completion = .periodic(periodic)
        return enqueue(first) ? periodic : nil
    }

    /// Where a check connects from and to, when both are numeric addresses.
    enum Addresses {
        case numeric(target: SocketAddressBytes, local: SocketAddressBytes?)
        /// The target is a host name: NIO resolves it.
        case hostName
        case invalidBind(String)
    }

    static func addresses(of check: TCPCheck) -> Addresses {
        guard let target = SocketAddressBytes(host: check.target.host, port: check.target.port) else { return .hostName }
        guard check.bindAddress != nil || check.bindPort != nil else { return .numeric(target: target, local: nil) }
        let host = check.bindAddress ?? (check.target.isIPv6 ? "::" : "0.0.0.0")
        guard let local = SocketAddressBytes(host: host, port: check.bindPort ?? 0) else { return .invalidBind(host) }
        return .numeric(target: target, local: local)
    }

    /// A duration in ns, clamped to what the deadline arithmetic can add without overflow.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        let ns = UInt64(clamping: max(0, seconds)) &* 1_000_000_000 &+ UInt64(clamping: max(0, attoseconds / 1_000_000_000))
        return min(ns, UInt64(Int64.max) / 2)
    }

    /// The NIO channel path, on `eventLoop`.
    private static func throughNIO(_ check: TCPCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        eventLoop.inEventLoop ? runTCPProbe(check, on: eventLoop) : eventLoop.flatSubmit { runTCPProbe(check, on: eventLoop) }
    }

    /// Stops the thread: connects still in flight end as ``ProbeFailure/connectionFailed(_:)``; later probes
    /// go through NIO. Never needed for ``shared``.
    public func shutdown() {
        let wake: Int32? = state.withLock { state in
            guard state.started, !state.stopped else {
                state.stopped = true
                return nil
            }
            state.stopped = true
            return state.wakeFD
        }
        if let wake { cs_eventfd_signal(wake) }
    }

    /// Queues a request for the thread (starting it first if needed); false when the thread cannot run.
    private func enqueue(_ request: Request) -> Bool {
        let (accepted, wake): (Bool, Int32?) = state.withLock { state in
            if state.stopped || state.failedToStart { return (false, nil) }
            if !state.started {
                guard startThread(&state) else {
                    state.failedToStart = true
                    return (false, nil)
                }
            }
            state.pending.append(request)
            return (true, state.pending.count == 1 ? state.wakeFD : nil)
        }
        if let wake { cs_eventfd_signal(wake) }
        return accepted
    }

    /// Makes the thread sleep `milliseconds` before its next wait, as a starved thread would (tests).
    func stall(milliseconds: Int64) {
        pendingStall.store(milliseconds, ordering: .relaxed)
    }

    /// Sleeps the stall a test asked for, once (one relaxed load otherwise).
    func stallForTesting() {
        guard pendingStall.load(ordering: .relaxed) > 0 else { return }
        let ms = pendingStall.exchange(0, ordering: .relaxed)
        if ms > 0 { usleep(UInt32(ms * 1000)) }
    }

    /// The thread's side of the queue: every pending request, and whether to stop.
    func takePending() -> (requests: [Request], stop: Bool) {
        state.withLock { state in
            let requests = state.pending
            state.pending = []
            return (requests, state.stopped)
        }
    }

    private func startThread(_ state: inout State) -> Bool {
        let epollFD = cs_epoll_create()
        guard epollFD >= 0 else { return false }
        let wakeFD = cs_eventfd()
        guard wakeFD >= 0, cs_epoll_watch_read(epollFD, wakeFD, ConnectLoop.wakeToken) == 0 else {
            if wakeFD >= 0 { close(wakeFD) }
            close(epollFD)
            return false
        }
        let created = startDetachedThread { [self] in
            ConnectLoop(owner: self, epollFD: epollFD, wakeFD: wakeFD).run()
        }
        guard created == 0 else {
            close(wakeFD)
            close(epollFD)
            return false
        }
        state.epollFD = epollFD
        state.wakeFD = wakeFD
        state.started = true
        return true
    }
}
