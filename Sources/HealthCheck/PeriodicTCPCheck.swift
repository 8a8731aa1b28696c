import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A TCP check that ``TCPConnectProber``'s thread repeats by itself while its outcome stays the same.
///
/// A steady checker (a real server that is up and keeps answering, or one that is down and keeps failing) changes
/// nothing in its state machine from one check to the next. The engine hands such a checker to the prober's thread,
/// which starts each connect, times it and schedules the next one itself, and calls ``observe`` for every result
/// that continues the repetition; the first result that differs (``expectSuccess``) goes back to the engine
/// instead, through ``deviate``, and ends the repetition. A thousand steady checks a second then cost the engine's event loop nothing.
public final class PeriodicTCPCheck: Sendable {
    /// What each connect is made of (its `start` and `completion` are set per run).
    let template: TCPConnectProber.Request
    /// From one check's end to the next one's start (delay_loop), ns.
    let interval: UInt64
    /// Starts are put on a grid of this step (ns; 0: none), as the engine's timers are.
    let slack: UInt64
    /// The outcome that continues the repetition.
    let expectSuccess: Bool
    /// Every result that continues the repetition, on the prober's thread.
    let observe: @Sendable (ProbeResult) -> Void
    /// The first result whose outcome differs, on the prober's thread; the repetition has ended.
    let deviate: @Sendable (ProbeResult) -> Void
    private let cancelled = Atomic<Bool>(false)
    /// A socket the last successful connect left unconnected (``cs_disconnect``), for the next one: a check then
    /// costs no socket() and no descriptor teardown. -1: none. Used on the prober's thread; closed by whoever
    /// ends the repetition there, or at deinit.
    private let spare = Atomic<Int32>(-1)

    init(template: TCPConnectProber.Request, interval: UInt64, slack: UInt64, expectSuccess: Bool,
         observe: @escaping @Sendable (ProbeResult) -> Void, deviate: @escaping @Sendable (ProbeResult) -> Void) {
        self.template = template
        self.interval = interval
        self.slack = slack
        self.expectSuccess = expectSuccess
        self.observe = observe
        self.deviate = deviate
    }

    /// The request for a run starting at `start`.
    func request(startingAt start: UInt64) -> TCPConnectProber.Request {
        var request = template
        request.start = start
        request.completion = .periodic(self)
        return request
    }

    /// Ends the repetition: no further connect starts, and no result of one in flight is reported.
    public func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// The kept socket, if any (the caller owns it now); -1 for none.
    func takeSpareSocket() -> Int32 {
        spare.exchange(-1, ordering: .relaxed)
    }

    /// Keeps an unconnected socket for the next connect (closing any other kept one).
    func keepSpareSocket(_ fd: Int32) {
        let previous = spare.exchange(fd, ordering: .relaxed)
        if previous >= 0 { close(previous) }
    }

    /// The kept socket (-1: none), for tests.
    var spareSocket: Int32 { spare.load(ordering: .relaxed) }

    /// Closes the kept socket, if any: the repetition has ended.
    func closeSpareSocket() {
        let fd = spare.exchange(-1, ordering: .relaxed)
        if fd >= 0 { close(fd) }
    }

    deinit {
        let fd = spare.load(ordering: .relaxed)
        if fd >= 0 { close(fd) }
    }

    /// The grid point nearest `time`: checks due within half a step of each other start together, and a check is
    /// on average neither early nor late, so its period stays `interval` (rounding up made every run up to a step
    /// late, and the check slower than configured).
    func aligned(_ time: UInt64) -> UInt64 { Self.nearestGridPoint(time, step: slack) }

    /// The multiple of `step` nearest `time` (`time` itself for a zero step).
    static func nearestGridPoint(_ time: UInt64, step: UInt64) -> UInt64 {
        guard step > 0 else { return time }
        let (quotient, remainder) = time.quotientAndRemainder(dividingBy: step)
        return (remainder * 2 >= step ? quotient + 1 : quotient) * step
    }
}
