import IPVSKit

/// What the director needs from the kernel. ``IPVSClient`` provides it; tests may substitute an in-memory table.
public protocol IPVSTableAccess: Sendable {
    /// Every service with its destinations and counters.
    func table() throws(IPVSError) -> [ServiceEntry]
    /// Runs operations pipelined, each on its own.
    func perform(_ operations: [IPVSOperation]) -> [Result<Void, IPVSError>]
    /// Runs a plan made against `current` all or nothing: on any failure what succeeded is undone.
    func run(_ plan: TablePlan, current: [ServiceEntry]) -> PlanOutcome
}

/// The failures of an all-or-nothing plan (empty when it succeeded).
public struct PlanOutcome: Sendable {
    /// Operations the kernel refused; when not empty, the plan was rolled back.
    public var failures: [(operation: IPVSOperation, error: IPVSError)]
    /// Rollback operations that failed too (the table may then differ from before).
    public var rollbackFailures: [(operation: IPVSOperation, error: IPVSError)]
    /// Creates an outcome.
    public init(failures: [(operation: IPVSOperation, error: IPVSError)] = [],
                rollbackFailures: [(operation: IPVSOperation, error: IPVSError)] = []) {
        self.failures = failures
        self.rollbackFailures = rollbackFailures
    }
    /// Whether every operation succeeded.
    public var succeeded: Bool { failures.isEmpty }
}

extension IPVSClient: IPVSTableAccess {
    /// Runs the plan with ``IPVSClient/perform(plan:current:)``.
    public func run(_ plan: TablePlan, current: [ServiceEntry]) -> PlanOutcome {
        let report = perform(plan: plan, current: current)
        return PlanOutcome(failures: report.failures, rollbackFailures: report.rollbackFailures)
    }
}
