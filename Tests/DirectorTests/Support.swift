import Director
import Glibc
import IPVSKit
import Synchronization
import Testing
@_exported import DirectorTesting

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
