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
