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
            let millis =
                Double(lastLatency.components.seconds) * 1000 + Double(lastLatency.components.attoseconds) / 1e15
            line += ", last probe \((millis * 10).rounded() / 10) ms"
        }
        if let lastFailure { line += ", last failure: \(lastFailure)" }
        if sharedBy > 1 { line += ", shared by \(sharedBy)" }
        return line
    }
}
