import Director
import IPVSKit

/// The director's kernel under `-P` (VRRP only): an empty IPVS table that takes no change, so the director
/// neither reads nor touches the real one.
struct NoIPVSTable: IPVSTableAccess {
    func table() throws(IPVSError) -> [ServiceEntry] { [] }

    func perform(_ operations: [IPVSOperation]) -> [Result<Void, IPVSError>] {
        operations.map { _ in .failure(.unavailable(detail: "lvsd -P runs VRRP only")) }
    }

    func run(_ plan: TablePlan, current: [ServiceEntry]) -> PlanOutcome {
        PlanOutcome()
    }
}
