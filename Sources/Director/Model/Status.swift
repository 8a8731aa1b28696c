import IPVSKit

/// A real server's state, for status output.
public struct RealServerStatus: Hashable, Sendable {
    /// Which server.
    public var id: RealServerID
    /// All checkers up (counted in the pool).
    public var alive: Bool
    /// Present in the wanted table.
    public var inTable: Bool
    /// Its weight in the wanted table, if present.
    public var tableWeight: Int32?
    /// Configured weight plus dynamic changes.
    public var effectiveWeight: Int64
    /// Its checkers.
    public var checkers: [CheckerID: CheckerState]
}

/// A virtual server's state, for status output.
public struct VirtualServerStatus: Hashable, Sendable {
    /// Which virtual server.
    public var id: VirtualServerID
    /// Quorum state.
    public var quorumUp: Bool
    /// Whether the sorry server is in service.
    public var sorryServerActive: Bool
    /// Σ weight of alive real servers.
    public var liveWeight: Int64
    /// Its real servers.
    public var realServers: [RealServerStatus]
    /// Removed real servers being drained.
    public var draining: [DestinationKey]
}
