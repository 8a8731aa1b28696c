import Director
import Glibc
import IPVSKit
import Synchronization
import Testing

func ip(_ s: String) -> IPAddress {
    guard let a = IPAddress(s) else { fatalError("bad test address \(s)") }
    return a
}

let vip = ip("10.0.0.1")
let web = ServiceKey.address(.tcp, vip, port: 80)
let webID = VirtualServerID.service(web)

/// A real server 10.0.0.N:80 with one TCP checker "tcp".
func rs(_ n: Int, weight: Int32 = 1, inhibit: Bool? = nil, alpha: Bool? = nil, checkers: [CheckerSpec]? = nil,
        up: ScriptCommand? = nil, down: ScriptCommand? = nil) -> RealServerSpec {
    RealServerSpec(address: ip("10.0.0.\(n)"), port: 80, forwarding: .masquerade, weight: weight,
                   inhibitOnFailure: inhibit, alpha: alpha, checkers: checkers ?? [CheckerSpec(id: "tcp")],
                   notifyUp: up, notifyDown: down)
}

func vs(_ servers: [RealServerSpec], key: ServiceKey = web, scheduler: String = "wlc", quorum: UInt32 = 1,
        hysteresis: UInt32 = 0, sorry: SorryServerSpec? = nil, alpha: Bool = false, omega: Bool = false,
        inhibit: Bool = false, drain: Duration? = nil, quorumUp: ScriptCommand? = nil,
        quorumDown: ScriptCommand? = nil) -> VirtualServerSpec {
    VirtualServerSpec(service: Service(key: key, scheduler: scheduler), realServers: servers, quorum: quorum,
                      hysteresis: hysteresis, quorumUp: quorumUp, quorumDown: quorumDown, sorryServer: sorry,
                      alpha: alpha, omega: omega, inhibitOnFailure: inhibit, drainTimeout: drain)
}

func rsID(_ n: Int, _ v: VirtualServerID = webID) -> RealServerID { RealServerID(v, ip("10.0.0.\(n)"), 80) }
func dkey(_ n: Int) -> DestinationKey { DestinationKey(address: ip("10.0.0.\(n)"), port: 80) }
func down(_ n: Int, _ checker: CheckerID = "tcp") -> CheckerEvent { CheckerEvent(realServer: rsID(n), checker: checker, up: false) }
func up(_ n: Int, _ checker: CheckerID = "tcp", weight: Int64? = nil) -> CheckerEvent {
    CheckerEvent(realServer: rsID(n), checker: checker, up: true, weight: weight)
}

/// CPU time (user + system) used so far by the calling thread: unlike the wall clock, not stretched by other
/// processes on a busy machine.
func threadCPUTime() -> Duration {
    var usage = rusage()
    getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD
    let micros =
        (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
    return .microseconds(Int64(micros))
}

/// A fake monotonic clock.
struct FakeClock {
    var now = ContinuousClock.now
    mutating func advance(_ d: Duration) { now = now + d }
}

extension DirectorEngine {
    /// Weights by real-server number for the web service (nil: not in the table).
    func weights(_ key: ServiceKey = web) -> [String: Int32] {
        var out: [String: Int32] = [:]
        for e in desiredTable() where e.service.key == key {
            for d in e.destinations { out[d.address.description] = d.weight }
        }
        return out
    }
}

func logs(_ actions: [DirectorAction]) -> [String] { actions.compactMap(\.logLine) }
func scripts(_ actions: [DirectorAction]) -> [String] {
    actions.compactMap { if case .runScript(let s) = $0 { return s.description } else { return nil } }
}

/// An in-memory IPVS table that behaves like the kernel for the operations the director sends.
final class FakeKernel: IPVSTableAccess {
    struct State {
        var table: [ServiceEntry] = []
        var log: [IPVSOperation] = []
        var refuse: @Sendable (IPVSOperation) -> Bool = { _ in false }
    }
    let state = Mutex(State())

    init(_ table: [ServiceEntry] = []) { state.withLock { $0.table = table } }

    var entries: [ServiceEntry] { state.withLock { $0.table } }
    var operations: [IPVSOperation] { state.withLock { $0.log } }
    func clearLog() { state.withLock { $0.log = [] } }
    func refuse(_ f: @escaping @Sendable (IPVSOperation) -> Bool) { state.withLock { $0.refuse = f } }
    func mutate(_ f: (inout [ServiceEntry]) -> Void) { state.withLock { f(&$0.table) } }

    func table() throws(IPVSError) -> [ServiceEntry] { entries }

    func perform(_ operations: [IPVSOperation]) -> [Result<Void, IPVSError>] {
        state.withLock { st in operations.map { op in FakeKernel.apply(op, to: &st) } }
    }

    func run(_ plan: TablePlan, current: [ServiceEntry]) -> PlanOutcome {
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
