import HealthCheck
import Observability
import Synchronization

/// The latency recorder of each checker, made on its first check: the probe observer runs for every check, and
/// building the series' labels and looking it up in the registry each time cost more than the check's own work.
final class CheckRecorderCache: Sendable {
    private let metrics: LvsdMetrics
    private let recorders = Mutex<[CheckerID: CheckLatencyRecorder]>([:])

    init(metrics: LvsdMetrics) {
        self.metrics = metrics
    }

    /// Forgets every checker not in `checkers` and removes their histograms (after a reload); returns the
    /// `(checker, real_server)` labels of those that remain, for ``LvsdMetrics/keepOnly(virtualServers:realServers:checks:)``.
    func keepOnly(_ checkers: Set<CheckerID>) -> [(checker: String, realServer: String)] {
        recorders.withLock { known in
            known = known.filter { checkers.contains($0.key) }
        }
        return checkers.map { (Self.label($0), $0.realServer) }
    }

    static func label(_ checker: CheckerID) -> String { "\(checker.virtualServer)#\(checker.index)" }

    /// The recorder for `checker` (`checker` label `VS#index`, `real_server` label the real server).
    func recorder(for checker: CheckerID) -> CheckLatencyRecorder {
        recorders.withLock { known in
            if let recorder = known[checker] { return recorder }
            let made = metrics.checkRecorder(checker: Self.label(checker), realServer: checker.realServer)
            known[checker] = made
            return made
        }
    }
}
