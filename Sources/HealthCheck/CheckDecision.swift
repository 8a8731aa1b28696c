/// What the state machine decided after one probe result.
public struct CheckDecision: Hashable, Sendable {
    /// When to run the next probe.
    public var delay: Duration
    /// True when ``delay`` counts from the start of the probe just finished (MISC_CHECK), false when it counts
    /// from its completion (every other checker).
    public var delayFromStart: Bool
    /// The new state when the state changed.
    public var transition: CheckState?
    /// True when the MISC dynamic weight changed (see ``weight``).
    public var weightChanged: Bool
    /// The dynamic weight in force after this result (nil: the configured weight applies).
    public var weight: Int?
    /// Lines keepalived logs at INFO for this result (state changes and first results).
    public var messages: [CheckLogLine]
    /// The per-attempt failure line (`<msg> server [ip]:tcp:port.`), logged by keepalived only with
    /// `log_all_failures`.
    public var failureMessage: CheckLogLine?
    /// Which URL the next probe fetches (0 for non-HTTP checkers).
    public var nextURLIndex: Int
}
