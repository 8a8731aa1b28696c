import Director
import Foundation
import HealthCheck
import IPVSKit
import Observability
import VRRPRuntime

/// What the status report needs from the director service, taken at one moment.
public struct DirectorSnapshot: Sendable {
    /// The engine's state of every virtual server.
    public var status: [DirectorVirtualServerStatus]
    /// The configured virtual servers.
    public var specs: [VirtualServerSpec]
    /// Which real server and checker each health check reports to.
    public var routes: [HealthCheck.CheckerID: KeepalivedSetup.Route]
    /// The checkers' status.
    public var checks: [CheckerStatus]
    /// When the running configuration was loaded.
    public var configLoadedAt: Date
    /// How the last reload went, if there was one.
    public var lastReload: ReloadStatus?
}

/// The mapping from the director's state (and a kernel table read) to the status report behind SIGUSR1,
/// `lvsd status` and `lvsd status --json`. Pure: no I/O.
public enum StatusMapping {
    /// The report. `kernel` is nil when the table could not be read in time; the report then has no kernel
    /// figures (weights, connections, counters) and says so through ``Observability/VirtualServerStatus/inKernel``.
    public static func report(_ snapshot: DirectorSnapshot, kernel: [ServiceEntry]?, version: String, pid: Int32,
                              startedAt: Date, configFile: String, now: Date = Date()) -> StatusReport {
        var checksByRealServer: [RealServerID: [CheckStatus]] = [:]
        for c in snapshot.checks {
            guard let route = snapshot.routes[c.checker] else { continue }
            let result: CheckStatus.Result = !c.hasRun ? .pending : (c.state == .up ? .success : .failure)
            checksByRealServer[route.realServer, default: []].append(CheckStatus(
                type: c.spec.probe.kind.rawValue, target: nil, result: result,
                reason: c.lastFailure.map { "\($0)" },
                latencyMilliseconds: c.lastLatency.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 }))
        }
        let kernelByKey = (kernel ?? []).indexedByKey()
        let specs = Dictionary(snapshot.specs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var servers: [Observability.VirtualServerStatus] = []
        for vs in snapshot.status {
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
            var server = Observability.VirtualServerStatus(
                service: vs.id.description, scheduler: spec?.service.scheduler ?? "?",
                forwarding: spec.map { "\($0.forwarding)" },
                persistenceTimeout: spec.flatMap { $0.service.flags.contains(.persistent) ? Int($0.service.persistenceTimeout) : nil },
                inKernel: entry != nil, quorumUp: vs.quorumUp, quorum: Int(spec?.quorum ?? 1),
                sorryActive: vs.sorryServerActive, sorryServer: spec?.sorryServer.map { "\($0.key)" },
                counters: s.map { KernelServiceCounters(connections: $0.connections, inPackets: $0.inPackets, outPackets: $0.outPackets,
                                                        inBytes: $0.inBytes, outBytes: $0.outBytes) },
                realServers: realServers)
            server.schedulingDigest = entry.map(SchedulingDigest.digest)
            servers.append(server)
        }
        return StatusReport(version: version, pid: pid, generatedAt: now, startedAt: startedAt,
                            configFile: configFile, configLoadedAt: snapshot.configLoadedAt, lastReload: snapshot.lastReload,
                            virtualServers: servers)
    }
}

extension StatusMapping {
    /// A VRRP instance as the status report shows it.
    static func vrrp(_ i: InstanceStatus) -> VRRPInstanceReport {
        VRRPInstanceReport(name: i.name, interface: i.interface, vrid: Int(i.vrid), version: i.version,
                           state: i.state.rawValue, basePriority: Int(i.basePriority),
                           effectivePriority: Int(i.effectivePriority), masterAddress: i.masterAddress,
                           lastAdvertAgeSeconds: i.lastAdvertAge, advertsSent: i.advertsSent,
                           advertsReceived: i.advertsReceived, drops: i.drops, transitions: i.transitions,
                           splitBrain: i.splitBrain, addresses: i.addresses)
    }

    /// The VRRP instances in Prometheus' text format: state (`lvsd_vrrp_state{state=...}` 1 for the current one),
    /// priorities, adverts, drops by reason, transitions and split-brain causes.
    static func vrrpMetrics(_ instances: [InstanceStatus]) -> String {
        guard !instances.isEmpty else { return "" }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ lines: [String]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for line in lines { out += "\(name)\(line)\n" }
        }
        func label(_ i: InstanceStatus, _ extra: String = "") -> String {
            "{instance=\"\(i.name)\",vrid=\"\(i.vrid)\"\(extra)}"
        }
        family("lvsd_vrrp_state", "gauge", "1 for the state the VRRP instance is in.", instances.flatMap { i in
            ["INIT", "BACKUP", "MASTER", "FAULT"].map { s in "\(label(i, ",state=\"\(s)\"")) \(i.state.rawValue == s ? 1 : 0)" }
        })
        family("lvsd_vrrp_priority", "gauge", "The priority the instance advertises (tracking applied).",
               instances.map { "\(label($0)) \($0.effectivePriority)" })
        family("lvsd_vrrp_base_priority", "gauge", "The configured priority.",
               instances.map { "\(label($0)) \($0.basePriority)" })
        family("lvsd_vrrp_adverts_sent_total", "counter", "Advert packets sent.",
               instances.map { "\(label($0)) \($0.advertsSent)" })
        family("lvsd_vrrp_adverts_received_total", "counter", "Adverts received and accepted.",
               instances.map { "\(label($0)) \($0.advertsReceived)" })
        family("lvsd_vrrp_adverts_dropped_total", "counter", "Adverts dropped, by reason.", instances.flatMap { i in
            i.drops.sorted { $0.key < $1.key }.map { "\(label(i, ",reason=\"\($0.key)\"")) \($0.value)" }
        })
        family("lvsd_vrrp_transitions_total", "counter", "State changes since start.",
               instances.map { "\(label($0)) \($0.transitions)" })
        family("lvsd_vrrp_split_brain_total", "counter",
               "Adverts a MASTER ignored from another MASTER of its VRID, by cause (both may hold the VIPs).",
               instances.flatMap { i in
                   i.splitBrain.sorted { $0.key < $1.key }.map { "\(label(i, ",cause=\"\($0.key)\"")) \($0.value)" }
               })
        family("lvsd_vrrp_last_advert_age_seconds", "gauge", "Seconds since the last accepted advert.",
               instances.compactMap { i in i.lastAdvertAge.map { "\(label(i)) \($0)" } })
        return out
    }
}
