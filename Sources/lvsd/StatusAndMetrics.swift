import Director
import Foundation
import HealthCheck
import IPVSKit
import Observability

/// Builds lvsd's status report and keeps the Prometheus metrics in step with the kernel.
extension DirectorDaemon {
    /// The report behind SIGUSR1, `lvsd status` and `lvsd status --json`.
    func statusReport() async -> StatusReport {
        let checks = await engine.status()
        var checksByRealServer: [RealServerID: [CheckStatus]] = [:]
        for c in checks {
            guard let route = plan.routes[c.checker] else { continue }
            let result: CheckStatus.Result = !c.hasRun ? .pending : (c.state == .up ? .success : .failure)
            checksByRealServer[route.realServer, default: []].append(CheckStatus(
                type: c.spec.probe.kind.rawValue, target: nil, result: result,
                reason: c.lastFailure.map { "\($0)" },
                latencyMilliseconds: c.lastLatency.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 }))
        }
        let kernel = (try? ipvs.table()) ?? []
        var kernelByKey: [ServiceKey: ServiceEntry] = [:]
        for e in kernel { kernelByKey[e.service.key] = e }
        let specs = Dictionary(setup.virtualServers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var servers: [Observability.VirtualServerStatus] = []
        for vs in director.status() {
            let spec = specs[vs.id]
            let entry = spec?.serviceKeys.first.flatMap { kernelByKey[$0] }
            var realServers: [Observability.RealServerStatus] = []
            for rs in vs.realServers {
                let configured = spec?.realServers.first { $0.key == rs.id.destination }
                let dest = entry?.destinations.first { $0.key == rs.id.destination }
                realServers.append(Observability.RealServerStatus(
                    address: rs.id.destination.description, configuredWeight: Int(configured?.weight ?? 0),
                    kernelWeight: dest.map { Int($0.weight) }, alive: rs.alive,
                    inhibited: !rs.alive && rs.inTable, draining: vs.draining.contains(rs.id.destination),
                    activeConnections: dest.map { UInt64($0.activeConnections) },
                    inactiveConnections: dest.map { UInt64($0.inactiveConnections) },
                    checks: checksByRealServer[rs.id] ?? []))
            }
            let s = entry?.service.stats
            servers.append(Observability.VirtualServerStatus(
                service: vs.id.description, scheduler: spec?.service.scheduler ?? "?",
                forwarding: spec.map { "\($0.forwarding)" },
                persistenceTimeout: spec.flatMap { $0.service.flags.contains(.persistent) ? Int($0.service.persistenceTimeout) : nil },
                inKernel: entry != nil, quorumUp: vs.quorumUp, quorum: Int(spec?.quorum ?? 1),
                sorryActive: vs.sorryServerActive, sorryServer: spec?.sorryServer.map { "\($0.key)" },
                counters: s.map { KernelServiceCounters(connections: $0.connections, inPackets: $0.inPackets, outPackets: $0.outPackets,
                                                        inBytes: $0.inBytes, outBytes: $0.outBytes) },
                realServers: realServers))
        }
        return StatusReport(version: lvsdVersion, pid: getpid(), generatedAt: Date(), startedAt: startedAt,
                            configFile: options.configFile, configLoadedAt: configLoadedAt, lastReload: lastReload,
                            virtualServers: servers)
    }
}

/// Refreshes the kernel-derived metrics (service counters, real-server weights) from one table read; called when
/// Prometheus scrapes, so an unscraped lvsd reads nothing.
func refreshKernelMetrics(_ metrics: LvsdMetrics, ipvs: IPVSClient, managed: @Sendable () -> [VirtualServerSpec]) {
    guard let table = try? ipvs.table() else { return }
    var byKey: [ServiceKey: ServiceEntry] = [:]
    for e in table { byKey[e.service.key] = e }
    for spec in managed() {
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
