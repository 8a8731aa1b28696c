/// The smallest list of operations that turns one IPVS table into another.
///
/// Destinations and services that exist in both tables are *edited* in place when their configuration differs, never
/// deleted and re-added, so established connections survive a weight, threshold, scheduler or persistence change.
public struct TablePlan: Sendable, Hashable {
    /// The operations, in the order they must run: service deletions (only with `prune`), service additions and
    /// edits, then destination deletions, edits and additions.
    public var operations: [IPVSOperation]

    /// Plans the change from `current` to `desired`.
    ///
    /// - Parameters:
    ///   - current: the table as the kernel has it (``IPVSClient/table()``).
    ///   - desired: the table wanted. Each desired service's destination list is complete: destinations of that
    ///     service that are not listed are deleted.
    ///   - prune: delete services that are in `current` but not in `desired`; otherwise they are left alone.
    public init(current: [ServiceEntry], desired: [ServiceEntry], prune: Bool) {
        var ops: [IPVSOperation] = []
        var currentByKey: [ServiceKey: ServiceEntry] = [:]
        currentByKey.reserveCapacity(current.count)
        for e in current { currentByKey[e.service.key] = e }
        var desiredKeys = Set<ServiceKey>()
        desiredKeys.reserveCapacity(desired.count)
        for e in desired { desiredKeys.insert(e.service.key) }

        if prune {
            for e in current where !desiredKeys.contains(e.service.key) {
                ops.append(.deleteService(e.service.key))
            }
        }
        var destinationDeletes: [IPVSOperation] = []
        var destinationEdits: [IPVSOperation] = []
        var destinationAdds: [IPVSOperation] = []
        for want in desired {
            let key = want.service.key
            guard let have = currentByKey[key] else {
                ops.append(.addService(want.service))
                for d in want.destinations { destinationAdds.append(.addDestination(d, service: key)) }
                continue
            }
            if !have.service.sameConfiguration(as: want.service) {
                ops.append(.editService(want.service))
            }
            var haveDests: [DestinationKey: Destination] = [:]
            for d in have.destinations { haveDests[d.key] = d }
            var wantKeys = Set<DestinationKey>()
            for d in want.destinations {
                wantKeys.insert(d.key)
                if let old = haveDests[d.key] {
                    if !old.sameConfiguration(as: d) { destinationEdits.append(.editDestination(d, service: key)) }
                } else {
                    destinationAdds.append(.addDestination(d, service: key))
                }
            }
            for d in have.destinations where !wantKeys.contains(d.key) {
                destinationDeletes.append(.deleteDestination(d.key, service: key))
            }
        }
        operations = ops + destinationDeletes + destinationEdits + destinationAdds
    }

    /// Whether the tables already agree.
    public var isEmpty: Bool { operations.isEmpty }
}

/// What ``IPVSClient/apply(_:prune:)`` did.
public struct ApplyReport: Sendable {
    /// Every planned operation with its outcome, in order.
    public var results: [(operation: IPVSOperation, result: Result<Void, IPVSError>)]
    /// Whether the successful operations were undone because another failed.
    public var rolledBack: Bool
    /// Operations of the rollback that themselves failed (the table may then differ from both old and new).
    public var rollbackFailures: [(operation: IPVSOperation, error: IPVSError)]

    /// The failed operations.
    public var failures: [(operation: IPVSOperation, error: IPVSError)] {
        results.compactMap { r in
            if case .failure(let e) = r.result { return (r.operation, e) }
            return nil
        }
    }

    /// Whether every operation succeeded.
    public var succeeded: Bool {
        !results.contains { r in
            if case .failure = r.result { return true }
            return false
        }
    }
}

extension IPVSClient {
    /// Makes the kernel table match `desired` with the fewest operations, sent as one pipelined batch.
    ///
    /// The change is all or nothing: if any operation fails, the ones that succeeded are undone (in reverse order,
    /// again as one batch) so the table is left as it was, and the report says which operation failed and why.
    ///
    /// - Parameters:
    ///   - desired: the wanted services with their complete destination lists.
    ///   - prune: also delete services that are not in `desired`.
    public func apply(_ desired: [ServiceEntry], prune: Bool = false) throws(IPVSError) -> ApplyReport {
        let current = try table()
        let plan = TablePlan(current: current, desired: desired, prune: prune)
        return perform(plan: plan, current: current)
    }

    /// Runs a plan made against `current`, rolling back on any failure (see ``apply(_:prune:)``).
    public func perform(plan: TablePlan, current: [ServiceEntry]) -> ApplyReport {
        let outcomes = perform(plan.operations)
        var results: [(operation: IPVSOperation, result: Result<Void, IPVSError>)] = []
        results.reserveCapacity(outcomes.count)
        for (op, outcome) in zip(plan.operations, outcomes) { results.append((op, outcome)) }
        var report = ApplyReport(results: results, rolledBack: false, rollbackFailures: [])
        guard !report.succeeded else { return report }
        let done = results.compactMap { r -> IPVSOperation? in
            if case .success = r.result { return r.operation }
            return nil
        }
        let undo = TablePlan.inverse(of: done, current: current)
        let undoResults = perform(undo)
        report.rolledBack = true
        for (op, r) in zip(undo, undoResults) {
            if case .failure(let e) = r { report.rollbackFailures.append((op, e)) }
        }
        return report
    }
}

extension TablePlan {
    /// The operations that undo `done` (which ran in order against `current`), in the order to run them.
    static func inverse(of done: [IPVSOperation], current: [ServiceEntry]) -> [IPVSOperation] {
        var byKey: [ServiceKey: ServiceEntry] = [:]
        for e in current { byKey[e.service.key] = e }
        var undo: [IPVSOperation] = []
        for op in done.reversed() {
            switch op {
            case .addService(let s):
                undo.append(.deleteService(s.key))
            case .editService(let s):
                if let old = byKey[s.key]?.service { undo.append(.editService(old)) }
            case .deleteService(let k):
                if let old = byKey[k] {
                    undo.append(.addService(old.service))
                    for d in old.destinations { undo.append(.addDestination(d, service: k)) }
                }
            case .addDestination(let d, let k):
                undo.append(.deleteDestination(d.key, service: k))
            case .editDestination(let d, let k):
                if let old = byKey[k]?.destinations.first(where: { $0.key == d.key }) { undo.append(.editDestination(old, service: k)) }
            case .deleteDestination(let dk, let k):
                if let old = byKey[k]?.destinations.first(where: { $0.key == dk }) { undo.append(.addDestination(old, service: k)) }
            case .zero, .flush, .setTimeouts, .startDaemon, .stopDaemon:
                break
            }
        }
        return undo
    }
}
