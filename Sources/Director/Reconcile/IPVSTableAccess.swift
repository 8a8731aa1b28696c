import IPVSKit

/// What the director needs from the kernel. ``IPVSClient`` provides it; tests may substitute an in-memory table.
public protocol IPVSTableAccess: Sendable {
    /// Every service with its destinations and counters.
    func table() throws(IPVSError) -> [ServiceEntry]
    /// Runs operations pipelined, each on its own.
    func perform(_ operations: [IPVSOperation]) -> [Result<Void, IPVSError>]
    /// Runs a plan made against `current`, rolling back on any failure.
    func perform(plan: TablePlan, current: [ServiceEntry]) -> ApplyReport
}

extension IPVSClient: IPVSTableAccess {}
