/// What a load or reload did.
public struct LoadResult: Sendable {
    /// Log lines and scripts, in order.
    public var actions: [DirectorAction]
    /// Checkers to start (new real servers, or changed checker ids): their state is fresh.
    public var startedCheckers: [RealServerID: [CheckerID]] = [:]
    /// Checkers whose state was kept: keep them running as they are.
    public var keptCheckers: [RealServerID: [CheckerID]] = [:]
    /// Checkers to stop.
    public var stoppedCheckers: [RealServerID: [CheckerID]] = [:]
}
