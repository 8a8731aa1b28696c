/// Whether one virtual server is announced: its quorum (keepalived's, hysteresis included) debounced by rise and
/// fall, and the operator's drain.
///
/// Pure and driven by the caller's clock: feed every observation to ``update(healthy:drained:now:)``; when
/// nothing changes, call it again at ``nextDeadline`` (a pending rise or fall completes then).
///
/// - The health is *stable* once it has held for `rise` (up) or `fall` (down) since it first differed from the
///   stable value; a flap back before then cancels the change.
/// - Announced = stable health up and not drained. A drain withdraws at once; an undrain announces at once when the
///   health has been stably up meanwhile.
/// - The first observation starts from "down": with `rise` 0 a healthy virtual server is announced at once.
public struct AnnounceDecision: Hashable, Sendable {
    /// Seconds of health before announcing.
    public var rise: Duration
    /// Seconds of ill health before withdrawing.
    public var fall: Duration
    /// The debounced health.
    public private(set) var stableHealthy = false
    /// When the observed health started to differ from ``stableHealthy``.
    public private(set) var pendingSince: ContinuousClock.Instant?
    /// Whether the director is drained (by `lvsd drain`).
    public private(set) var drained = false

    /// A decision that starts withdrawn.
    public init(rise: Duration = .zero, fall: Duration = .zero) {
        self.rise = rise
        self.fall = fall
    }

    /// Whether the address should be on the announce interface now.
    public var announce: Bool { stableHealthy && !drained }

    /// When a pending rise or fall completes, if one is pending.
    public var nextDeadline: ContinuousClock.Instant? {
        pendingSince.map { $0 + (stableHealthy ? fall : rise) }
    }

    /// Takes one observation; returns ``announce`` after it.
    @discardableResult
    public mutating func update(healthy: Bool, drained: Bool, now: ContinuousClock.Instant) -> Bool {
        self.drained = drained
        if healthy == stableHealthy {
            pendingSince = nil
        } else {
            let since = pendingSince ?? now
            if now - since >= (healthy ? rise : fall) {
                stableHealthy = healthy
                pendingSince = nil
            } else {
                pendingSince = since
            }
        }
        return announce
    }
}
