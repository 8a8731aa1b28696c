import Director
import Glibc
import IPVSKit
import Synchronization

/// An in-memory IPVS table that behaves like the kernel for the operations the director sends (for tests of the
/// director and of lvsd's services).
public final class FakeKernel: IPVSTableAccess {
    public struct State {
        public var table: [ServiceEntry] = []
        public var log: [IPVSOperation] = []
        public var refuse: @Sendable (IPVSOperation) -> Bool = { _ in false }
    }
    public let state = Mutex(State())

    public init(_ table: [ServiceEntry] = []) { state.withLock { $0.table = table } }

    public var entries: [ServiceEntry] { state.withLock { $0.table } }
    public var operations: [IPVSOperation] { state.withLock { $0.log } }
    public func clearLog() { state.withLock { $0.log = [] } }
    public func refuse(_ f: @escaping @Sendable (IPVSOperation) -> Bool) { state.withLock { $0.refuse = f } }
    public func mutate(_ f: (inout [ServiceEntry]) -> Void) { state.withLock { f(&$0.table) } }

    public func table() throws(IPVSError) -> [ServiceEntry] { entries }

    public func perform(_ operations: [IPVSOperation]) -> [Result<Void, IPVSError>] {
        state.withLock { st in operations.map { op in FakeKernel.apply(op, to: &st) } }
    }

    public func run(_ plan: TablePlan, current: [ServiceEntry]) -> PlanOutcome {
        state.withLock { st in
            let snapshot = st.table
            var failures: [(operation: IPVSOperation, error: IPVSError)] = []
            for op in plan.operations {
                if case .failure(let e) = FakeKernel.apply(op, to: &st) { failures.append((op, e)) }
            }
            if !failures.isEmpty { st.table = snapshot }
            return PlanOutcome(failures: failures)
        }
    }

    private static func apply(_ op: IPVSOperation, to st: inout State) -> Result<Void, IPVSError> {
        if st.refuse(op) { return .failure(.kernel(command: op.command, errno: EINVAL)) }
        st.log.append(op)
        func svc(_ k: ServiceKey) -> Int? { st.table.firstIndex { $0.service.key == k } }
        switch op {
        case .addService(let s):
            if svc(s.key) != nil { return .failure(.kernel(command: op.command, errno: EEXIST)) }
            st.table.append(ServiceEntry(service: s, destinations: []))
        case .editService(let s):
            guard let i = svc(s.key) else { return .failure(.kernel(command: op.command, errno: ESRCH)) }
            var n = s
            n.stats = st.table[i].service.stats
            st.table[i].service = n
        case .deleteService(let k):
            guard let i = svc(k) else { return .failure(.kernel(command: op.command, errno: ESRCH)) }
            st.table.remove(at: i)
        case .addDestination(let d, let k):
            guard let i = svc(k) else { return .failure(.kernel(command: op.command, errno: ESRCH)) }
            if st.table[i].destinations.contains(where: { $0.key == d.key }) { return .failure(.kernel(command: op.command, errno: EEXIST)) }
            st.table[i].destinations.append(d)
        case .editDestination(let d, let k):
            guard let i = svc(k) else { return .failure(.kernel(command: op.command, errno: ESRCH)) }
            guard let j = st.table[i].destinations.firstIndex(where: { $0.key == d.key }) else { return .failure(.kernel(command: op.command, errno: ENOENT)) }
            var n = d
            let old = st.table[i].destinations[j]
            n.activeConnections = old.activeConnections
            n.inactiveConnections = old.inactiveConnections
            n.stats = old.stats
            st.table[i].destinations[j] = n
        case .deleteDestination(let dk, let k):
            guard let i = svc(k) else { return .failure(.kernel(command: op.command, errno: ESRCH)) }
            guard let j = st.table[i].destinations.firstIndex(where: { $0.key == dk }) else { return .failure(.kernel(command: op.command, errno: ENOENT)) }
            st.table[i].destinations.remove(at: j)
        default:
            break
        }
        return .success(())
    }
}
