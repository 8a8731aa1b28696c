import IPVSKit
import Synchronization

/// The director: a ``DirectorEngine`` kept in step with the kernel's IPVS table.
///
/// How the daemon drives it:
/// 1. ``start(_:now:)`` with the parsed configuration: entries already in the kernel that match are adopted (a
///    restart resets no connection); the result says which checkers to start.
/// 2. ``handle(_:)`` with every checker result (batch them if many arrive together).
/// 3. ``reload(_:now:)`` on SIGHUP with the new configuration: only the difference is applied; an invalid
///    configuration throws and changes nothing.
/// 4. ``tick(now:repairDrift:)`` every few seconds: finishes drains and repairs entries changed by hand.
/// 5. ``shutdown()`` on SIGTERM removes every managed service. After `kill -9` nothing runs and the next
///    ``start(_:now:)`` adopts the table.
///
/// The caller executes the returned ``DirectorUpdate/actions`` (logging, scripts); the director does no I/O but
/// IPVS. All methods are serialised; the type is safe to share between tasks.
public final class Director: Sendable {
    struct State: Sendable {
        var engine = DirectorEngine()
    }

    private let kernel: any IPVSTableAccess
    private let state = Mutex(State())

    /// Creates a director acting on `kernel` (an ``IPVSClient``).
    public init(kernel: any IPVSTableAccess) {
        self.kernel = kernel
    }

    /// The engine's current state (a copy).
    public var engine: DirectorEngine { state.withLock { $0.engine } }

    /// Whether any real server is draining, so that ``tick(now:repairDrift:)`` has work without drift repair.
    /// Cheap: no kernel read.
    public var isDraining: Bool { state.withLock { !$0.engine.drainingServers.isEmpty } }

    /// The table the director wants for its services.
    public func desiredTable() -> [ServiceEntry] { state.withLock { $0.engine.desiredTable() } }

    /// The state of every virtual server.
    public func status() -> [VirtualServerStatus] { state.withLock { $0.engine.status() } }

    /// Each virtual server's quorum now (what `announce` decides from).
    public func quorumStates() -> [VirtualServerID: Bool] { state.withLock { $0.engine.quorumStates() } }

    // MARK: - Start and reload

    /// Checks specs as ``start(_:now:)`` and ``reload(_:now:)`` would, without the kernel or this director's state.
    ///
    /// - Throws: ``DirectorError/invalidSpec(_:)`` with every problem.
    public static func check(_ specs: [VirtualServerSpec]) throws(DirectorError) {
        _ = try SpecValidation.validate(specs)
    }

    /// Loads the first configuration and makes the kernel match it, adopting what is there.
    ///
    /// - Throws: ``DirectorError/invalidSpec(_:)`` (nothing applied), ``DirectorError/unavailable(_:)``, or
    ///   ``DirectorError/kernel(_:)`` when the kernel refused a change (rolled back; the director stays unloaded).
    public func start(_ specs: [VirtualServerSpec], now: ContinuousClock.Instant = .now) throws(DirectorError) -> DirectorUpdate {
        try state.withLock { (st) throws(DirectorError) -> DirectorUpdate in
            var engine = DirectorEngine()
            var update = DirectorUpdate()
            update.actions = try engine.load(specs, now: now)
            let current = try readTable()
            update.actions += engine.adopt(kernel: current, now: now)
            update.actions += engine.updateDrains(kernel: current, now: now)
            try apply(engine, retired: [], current: current, into: &update, strict: true)
            st.engine = engine
            return update
        }
    }

    /// Applies a new configuration (SIGHUP): only the difference, state kept by identity.
    ///
    /// - Throws: as ``start(_:now:)``; on any error the previous configuration stays in force, untouched.
    public func reload(_ specs: [VirtualServerSpec], now: ContinuousClock.Instant = .now) throws(DirectorError) -> DirectorUpdate {
        try state.withLock { (st) throws(DirectorError) -> DirectorUpdate in
            var engine = st.engine
            let before = Set(engine.managedServices)
            var update = DirectorUpdate()
            update.actions = try engine.load(specs, now: now)
            let current = try readTable()
            update.actions += engine.updateDrains(kernel: current, now: now)
            let retired = before.subtracting(engine.managedServices)
            try apply(engine, retired: retired, current: current, into: &update, strict: true)
            st.engine = engine
            return update
        }
    }

    // MARK: - Checker results

    /// Applies checker results and pushes the resulting changes to the kernel in one batch.
    ///
    /// The state follows the checkers even if the kernel refuses a change; failures are logged and repaired by a
    /// later ``tick(now:repairDrift:)``.
    public func handle(_ events: [CheckerEvent]) -> DirectorUpdate {
        state.withLock { st in
            var update = DirectorUpdate()
            let touched = Set(events.map(\.realServer.virtualServer))
            let before = st.engine.desiredTable(for: touched)
            for e in events {
                let checkerBefore = st.engine.checkerState(e.realServer, e.checker)
                let aliveBefore = st.engine.realServerAlive(e.realServer)
                update.actions += st.engine.handle(e)
                if let checkerBefore, let aliveBefore, let checkerAfter = st.engine.checkerState(e.realServer, e.checker),
                   let aliveAfter = st.engine.realServerAlive(e.realServer) {
                    update.checkerReports.append(CheckerReport(
                        event: e, checkerWasUp: checkerBefore.up, checkerIsUp: checkerAfter.up,
                        realServerWasAlive: aliveBefore, realServerIsAlive: aliveAfter))
                }
            }
            push(from: before, to: st.engine.desiredTable(for: touched), engine: st.engine, into: &update)
            return update
        }
    }

    /// Applies one checker result.
    public func handle(_ event: CheckerEvent) -> DirectorUpdate { handle([event]) }

    // MARK: - Periodic work

    /// Finishes drains whose connections ended or whose timeout passed, and (with `repairDrift`) re-applies
    /// managed entries that differ from what the director wants, logging each repair.
    public func tick(now: ContinuousClock.Instant = .now, repairDrift: Bool = true) -> DirectorUpdate {
        state.withLock { st in
            var update = DirectorUpdate()
            let current: [ServiceEntry]
            do throws(DirectorError) { current = try readTable() } catch {
                update.actions.append(.log(.error, error.description))
                return update
            }
            let wanted = st.engine.desiredTable()
            let currentManaged = managedPart(of: current, engine: st.engine)
            let drift = TablePlan(current: currentManaged, desired: wanted, prune: false)
            let before = Set(st.engine.managedServices)
            update.actions += st.engine.updateDrains(kernel: current, now: now)
            let retired = before.subtracting(st.engine.managedServices)
            let present = Set(current.map(\.service.key))
            guard repairDrift else {
                // Only the drains' deletions are applied.
                var drained = TablePlan(current: wanted, desired: st.engine.desiredTable(), prune: false)
                drained.operations = retired.filter(present.contains).map { .deleteService($0) } + drained.operations
                runPlan(drained, current: current, into: &update)
                return update
            }
            update.actions += describe(drift, current: currentManaged, engine: st.engine)
            let appliedBefore = update.operations.count
            try? apply(st.engine, retired: retired, current: current, into: &update, strict: false)
            // What the repair put back: the applied operations that the drift plan asked for.
            let repaired = Set(drift.operations.map(\.description))
            update.driftRepairs = update.operations[appliedBefore...].filter { repaired.contains($0.description) }.count
            return update
        }
    }

    // MARK: - Shutdown

    /// SIGTERM: clears every virtual server as keepalived does and deletes every managed service from the kernel.
    public func shutdown() -> DirectorUpdate {
        state.withLock { st in
            var update = DirectorUpdate()
            let managed = st.engine.managedServices
            update.actions += st.engine.shutdown()
            let present: Set<ServiceKey>
            do throws(DirectorError) { present = Set(try readTable().map(\.service.key)) } catch {
                update.actions.append(.log(.error, error.description))
                present = Set(managed)
            }
            let ops = managed.filter { present.contains($0) }.map { IPVSOperation.deleteService($0) }
            for (op, r) in zip(ops, kernel.perform(ops)) {
                switch r {
                case .success: update.operations.append(op)
                case .failure(let e): fail(op, e, into: &update)
                }
            }
            return update
        }
    }

    // MARK: - Internals

    private func readTable() throws(DirectorError) -> [ServiceEntry] {
        do throws(IPVSError) { return try kernel.table() } catch { throw .unavailable(error) }
    }

    private func managedPart(of table: [ServiceEntry], engine: DirectorEngine) -> [ServiceEntry] {
        let managed = Set(engine.managedServices)
        return table.filter { managed.contains($0.service.key) }
    }

    /// Plans the managed services (plus deletion of `retired` ones) against `current` and runs the plan.
    private func apply(_ engine: DirectorEngine, retired: Set<ServiceKey>, current: [ServiceEntry],
                       into update: inout DirectorUpdate, strict: Bool) throws(DirectorError) {
        var plan = TablePlan(current: managedPart(of: current, engine: engine), desired: engine.desiredTable(), prune: false)
        let present = Set(current.map(\.service.key))
        let deletes = retired.filter { present.contains($0) }.sorted { $0.description < $1.description }
        plan.operations = deletes.map { .deleteService($0) } + plan.operations
        let failed = runPlan(plan, current: current, into: &update)
        if strict && failed { throw .kernel(update.failures) }
    }

    /// Runs a plan with rollback; returns whether it failed.
    @discardableResult
    private func runPlan(_ plan: TablePlan, current: [ServiceEntry], into update: inout DirectorUpdate) -> Bool {
        guard !plan.isEmpty else { return false }
        let report = kernel.run(plan, current: current)
        if report.succeeded {
            update.operations += plan.operations
            return false
        }
        for f in report.failures { fail(f.operation, f.error, into: &update) }
        for f in report.rollbackFailures { fail(f.operation, f.error, into: &update, rollback: true) }
        return true
    }

    private func fail(_ op: IPVSOperation, _ error: IPVSError, into update: inout DirectorUpdate, rollback: Bool = false) {
        let text = "IPVS cmd \(op)\(rollback ? " (rollback)" : "") error: \(error)"
        update.failures.append(text)
        update.actions.append(.log(.error, text))
    }

    /// Pushes what checker events changed: the difference between the wanted tables before and after, so drift
    /// is left to ``tick(now:repairDrift:)``. If the kernel refuses (the table was changed by hand), the kernel
    /// is re-read and the whole managed table re-planned against it.
    private func push(from before: [ServiceEntry], to after: [ServiceEntry], engine: DirectorEngine,
                      into update: inout DirectorUpdate) {
        let plan = TablePlan(current: before, desired: after, prune: false)
        if plan.isEmpty { return }
        var attempt = DirectorUpdate()
        if !runPlan(plan, current: before, into: &attempt) {
            update.operations += attempt.operations
            return
        }
        update.actions.append(.log(.warning, "IPVS table changed outside lvsd (\(attempt.failures.joined(separator: "; "))); re-reading it"))
        do throws(DirectorError) {
            try apply(engine, retired: [], current: try readTable(), into: &update, strict: false)
        } catch {
            update.actions.append(.log(.error, error.description))
        }
    }
}
