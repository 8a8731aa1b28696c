import Director
import IPVSKit
import Observability

extension StatusMapping {
    /// The announce service's report as the status report shows it.
    static func announce(_ a: AnnounceReport) -> AnnounceStatus {
        AnnounceStatus(
            interface: a.interface, drained: a.drained, error: a.error,
            addresses: a.addresses.map { AnnounceStatus.Address(address: "\($0.address)", announced: $0.announced) },
            decisions: a.virtualServers.map {
                AnnounceStatus.Decision(virtualServer: $0.name, healthy: $0.healthy, announce: $0.announce,
                                        pending: $0.pending, riseSeconds: seconds($0.rise), fallSeconds: seconds($0.fall))
            })
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Prometheus lines for the director tier: each managed kernel service's scheduling digest (an info metric),
    /// each VIP's announcement, and the drain.
    static func directorTierMetrics(table: [ServiceEntry]?, managed: [VirtualServerSpec], announce: AnnounceReport?) -> String {
        var out = ""
        if let table {
            let byKey = table.indexedByKey()
            var lines: [String] = []
            for spec in managed {
                for key in spec.serviceKeys {
                    guard let entry = byKey[key] else { continue }
                    lines.append("lvsd_scheduling_digest_info{virtual_server=\"\(spec.id.description)\",service=\"\(key)\",scheduler=\"\(entry.service.scheduler)\",digest=\"\(SchedulingDigest.digest(entry))\"} 1\n")
                }
            }
            if !lines.isEmpty {
                out += "# HELP lvsd_scheduling_digest_info The scheduling digest of each kernel service (scheduler, flags, destinations and weights in kernel order); equal on every director of an ECMP tier.\n"
                out += "# TYPE lvsd_scheduling_digest_info gauge\n" + lines.joined()
            }
        }
        if let announce, !announce.addresses.isEmpty || announce.drained {
            out += "# HELP lvsd_vip_announced Whether the VIP is on the announce interface (1) or withdrawn (0).\n"
            out += "# TYPE lvsd_vip_announced gauge\n"
            for a in announce.addresses {
                out += "lvsd_vip_announced{address=\"\(a.address)\",interface=\"\(announce.interface)\"} \(a.announced ? 1 : 0)\n"
            }
            out += "# HELP lvsd_drained Whether the director is drained (lvsd drain).\n# TYPE lvsd_drained gauge\n"
            out += "lvsd_drained \(announce.drained ? 1 : 0)\n"
        }
        return out
    }
}
