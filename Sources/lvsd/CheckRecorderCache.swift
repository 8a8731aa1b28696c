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

    /// The recorder for `checker` (`checker` label `VS#index`, `real_server` label the real server).
    func recorder(for checker: CheckerID) -> CheckLatencyRecorder {
        recorders.withLock { known in
            if let recorder = known[checker] { return recorder }
            let made = metrics.checkRecorder(checker: "\(checker.virtualServer)#\(checker.index)", realServer: checker.realServer)
            known[checker] = made
            return made
        }
    }
}
