/// The direction of a real server's state change, the `direction` label of `lvsd_real_server_transitions_total`.
public enum TransitionDirection: String, Sendable, CaseIterable, Codable {
    /// The real server became alive (checks succeeded).
    case up
    /// The real server was declared dead (checks failed).
    case down
}

/// The outcome of a configuration reload, the `result` label of `lvsd_reloads_total`.
public enum ReloadResult: String, Sendable, CaseIterable, Codable {
    /// The new configuration was parsed and applied.
    case ok
    /// The new configuration failed to parse or validate; nothing of it was applied.
    case refused
}
