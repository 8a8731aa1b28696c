import Director
import HealthCheck
import IPVSKit
import Observability

/// Keeps the Prometheus metrics in step with the director: what its updates say (transitions, quorum, drift
/// repairs, reloads), the state after a start or reload, and the kernel's counters when scraped.
public struct DirectorMetrics: Sendable {
    /// The registry.
    public let metrics: LvsdMetrics
    /// Each check's latency histogram.
    let recorders: CheckRecorderCache

    /// Creates the bridge over `metrics`.
    public init(_ metrics: LvsdMetrics) {
        self.metrics = metrics
        recorders = CheckRecorderCache(metrics: metrics)
    }

    /// What the checker engine calls for every probe result: the latency histograms of the check's subscribers.
    public var probeObserver: @Sendable ([HealthCheck.CheckerID]) -> @Sendable (ProbeResult) -> Void {
        let recorders = self.recorders
        return { checkers in
            let chosen = checkers.map { recorders.recorder(for: $0) }
            return { result in for recorder in chosen { recorder.record(result.latency) } }
        }
    }

    /// Records what one director update did.
    public func record(_ update: DirectorUpdate) {
        for action in update.actions {
            switch action {
            case .realServerChanged(let id, let up):
                let vs = id.virtualServer.description, rs = id.destination.description
                metrics.setRealServer(virtualServer: vs, realServer: rs, up: up)
                metrics.recordTransition(virtualServer: vs, realServer: rs, direction: up ? .up : .down)
            case .quorumChanged(let id, let up):
                metrics.setQuorum(virtualServer: id.description, up: up)
            case .log, .runScript, .quorumReport, .realServerCleared:
                break
            }
        }
        if update.driftRepairs > 0 { metrics.recordDriftRepair(count: update.driftRepairs) }
    }

    /// Sets every real server's up/down gauge and every quorum gauge from the director's state (after a start or
    /// reload; transitions keep them current afterwards).
    public func publish(_ status: [DirectorVirtualServerStatus]) {
        for vs in status {
            metrics.setQuorum(virtualServer: vs.id.description, up: vs.quorumUp)
            for rs in vs.realServers {
                metrics.setRealServer(virtualServer: vs.id.description, realServer: rs.id.destination.description, up: rs.alive)
            }
        }
    }

    /// Removes the series of what a reload took out of the configuration (real servers, checks, virtual servers).
    public func keepOnly(_ status: [DirectorVirtualServerStatus], checkers: Set<HealthCheck.CheckerID>) {
        let checks = recorders.keepOnly(checkers)
        metrics.keepOnly(virtualServers: Set(status.map { $0.id.description }),
                         realServers: status.flatMap { vs in vs.realServers.map { (vs.id.description, $0.id.destination.description) } },
                         checks: checks)
    }

    /// Refreshes the kernel-derived series (service counters, real-server weights) from one table read of the
    /// managed services.
    public func refresh(from table: [ServiceEntry], managed: [VirtualServerSpec]) {
        let byKey = table.indexedByKey()
        for spec in managed {
            for key in spec.serviceKeys {
                guard let entry = byKey[key] else { continue }
                let vs = spec.id.description
                let s = entry.service.stats
                metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(
                    connections: s.connections, inPackets: s.inPackets, outPackets: s.outPackets, inBytes: s.inBytes, outBytes: s.outBytes))
                for d in entry.destinations {
                    metrics.setKernelWeight(virtualServer: vs, realServer: d.key.description, weight: Int(d.weight))
                }
            }
        }
    }
}
