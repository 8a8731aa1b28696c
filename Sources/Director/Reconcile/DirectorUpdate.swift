import IPVSKit

/// What one call to ``Director`` did.
public struct DirectorUpdate: Sendable {
    /// Log lines, scripts to run and state notifications, in order.
    public var actions: [DirectorAction] = []
    /// The kernel operations that succeeded, in order.
    public var operations: [IPVSOperation] = []
    /// Kernel operations that failed (each also logged as an error action).
    public var failures: [String] = []
    /// Managed kernel entries that had been changed outside lvsd and were put back (``Director/tick(now:repairDrift:)``).
    public var driftRepairs = 0
    /// What each checker result of ``Director/handle(_:)-([CheckerEvent])`` did, in order (results for unknown real
    /// servers or checkers are left out).
    public var checkerReports: [CheckerReport] = []

    /// An update that did nothing (yet).
    public init() {}

    /// The log lines among ``actions``.
    public var logLines: [String] { actions.compactMap(\.logLine) }
    /// The scripts among ``actions``.
    public var scripts: [ScriptCommand] {
        actions.compactMap { if case .runScript(let s) = $0 { return s } else { return nil } }
    }
}
