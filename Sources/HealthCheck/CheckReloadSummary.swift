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
