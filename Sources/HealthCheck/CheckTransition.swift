/// A change reported by ``CheckEngine``: a checker went up or down, or its MISC dynamic weight changed.
public struct CheckTransition: Hashable, Sendable {
    /// The checker (subscriber) concerned. A shared probe reports once per subscriber.
    public var checker: CheckerID
    /// The state after the change.
    public var state: CheckState
    /// The state before the change (equal to ``state`` for a weight-only change).
    public var previousState: CheckState
    /// The MISC dynamic weight in force (nil: the configured weight applies).
    public var weight: Int?
    /// True when only the dynamic weight changed.
    public var isWeightChangeOnly: Bool { state == previousState }
    /// The failure that caused a down transition (nil for up).
    public var failure: ProbeFailure?
    /// Why, in words: the probe failure, or `success`.
    public var reason: String
    /// Latency of the probe that caused the change.
    public var latency: Duration
    /// keepalived's log lines for this change, rendered for ``checker``.
    public var messages: [String]

    /// Creates a transition.
    public init(
        checker: CheckerID,
        state: CheckState,
        previousState: CheckState,
        weight: Int?,
        failure: ProbeFailure?,
        reason: String,
        latency: Duration,
        messages: [String]
    ) {
        self.checker = checker
        self.state = state
        self.previousState = previousState
        self.weight = weight
        self.failure = failure
        self.reason = reason
        self.latency = latency
        self.messages = messages
    }
}

/// A checker's current status, as ``CheckEngine/status()`` reports it.
public struct CheckerStatus: Hashable, Sendable, CustomStringConvertible {
    /// The subscriber.
    public var checker: CheckerID
    /// Its spec.
    public var spec: CheckSpec
    /// Current state.
    public var state: CheckState
    /// True once the checker reached a first verdict.
    public var hasRun: Bool
    /// MISC dynamic weight (nil: configured weight).
    public var weight: Int?
    /// Latency of the last probe, if any ran.
    public var lastLatency: Duration?
    /// The last probe failure, nil after a success.
    public var lastFailure: ProbeFailure?
    /// How many subscribers share this checker's probe.
    public var sharedBy: Int

    /// One line for a status dump, e.g.
    /// `[10.0.0.2]:tcp:80 of [10.0.0.1]:tcp:80 #0: TCP_CHECK up, last probe 1.2 ms, shared by 2`.
    public var description: String {
        var line = "\(checker): \(spec.probe.kind.rawValue) \(state.rawValue)"
        if !hasRun { line += " (not yet run)" }
        if let weight { line += ", dynamic weight \(weight)" }
        if let lastLatency {
            let millis = Double(lastLatency.components.seconds) * 1000 + Double(lastLatency.components.attoseconds) / 1e15
            line += ", last probe \((millis * 10).rounded() / 10) ms"
        }
        if let lastFailure { line += ", last failure: \(lastFailure)" }
        if sharedBy > 1 { line += ", shared by \(sharedBy)" }
        return line
    }
}

/// What ``CheckEngine/apply(_:)`` did.
public struct CheckReloadSummary: Hashable, Sendable {
    /// Subscribers that were new.
    public var added: [CheckerID] = []
    /// Subscribers that are gone.
    public var removed: [CheckerID] = []
    /// Subscribers whose spec changed (they restart fresh, as in keepalived).
    public var changed: [CheckerID] = []
    /// Subscribers kept with their state.
    public var kept: [CheckerID] = []
}
