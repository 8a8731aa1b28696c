import IPVSKit

extension Director {
    /// Log lines for drift repairs.
    func describe(_ plan: TablePlan, current: [ServiceEntry], engine: DirectorEngine) -> [DirectorAction] {
        guard !plan.isEmpty else { return [] }
        var names: [ServiceKey: (vs: String, proto: String)] = [:]
        for spec in engine.specs {
            for key in spec.serviceKeys { names[key] = (spec.id.description, spec.protocolName) }
        }
        var byKey: [ServiceKey: ServiceEntry] = [:]
        for e in current { byKey[e.service.key] = e }
        func vsName(_ k: ServiceKey) -> String {
            guard let n = names[k] else { return "\(k)" }
            return n.vs == VirtualServerID.service(k).description ? n.vs : "\(n.vs) (\(k))"
        }
        func rs(_ d: DestinationKey, _ k: ServiceKey) -> String { formatRealServer(d, protocolName: names[k]?.proto ?? "none") }
        return plan.operations.map { op -> DirectorAction in
            let text: String
            switch op {
            case .addService(let s):
                text = "VS \(vsName(s.key)) is missing from the kernel table; re-adding it"
            case .editService(let s):
                var diffs: [String] = []
                if let h = byKey[s.key]?.service {
                    if h.scheduler != s.scheduler { diffs.append("scheduler \(h.scheduler), wanted \(s.scheduler)") }
                    if h.flags.intersection(.settable) != s.flags.intersection(.settable) {
                        diffs.append("flags 0x\(String(h.flags.intersection(.settable).rawValue, radix: 16)), wanted 0x\(String(s.flags.intersection(.settable).rawValue, radix: 16))")
                    }
                    if h.persistenceTimeout != s.persistenceTimeout { diffs.append("persistence \(h.persistenceTimeout), wanted \(s.persistenceTimeout)") }
                    if h.netmask != s.netmask { diffs.append("persistence granularity \(h.netmask), wanted \(s.netmask)") }
                    if (h.persistenceEngine ?? "") != (s.persistenceEngine ?? "") { diffs.append("persistence engine \(h.persistenceEngine ?? "none"), wanted \(s.persistenceEngine ?? "none")") }
                }
                text = "VS \(vsName(s.key)) was changed in the kernel (\(diffs.joined(separator: "; "))); restoring it"
            case .addDestination(let d, let k):
                text = "service \(rs(d.key, k)) of VS \(vsName(k)) is missing from the kernel table; re-adding it with weight \(d.weight)"
            case .editDestination(let d, let k):
                let have = byKey[k]?.destinations.first { $0.key == d.key }
                var diffs: [String] = []
                if let h = have {
                    if h.weight != d.weight { diffs.append("weight \(h.weight), wanted \(d.weight)") }
                    if h.forwarding != d.forwarding { diffs.append("forwarding \(h.forwarding), wanted \(d.forwarding)") }
                    if h.upperThreshold != d.upperThreshold || h.lowerThreshold != d.lowerThreshold { diffs.append("thresholds \(h.upperThreshold)/\(h.lowerThreshold), wanted \(d.upperThreshold)/\(d.lowerThreshold)") }
                    if diffs.isEmpty { diffs.append("tunnel settings differ") }
                }
                text = "service \(rs(d.key, k)) of VS \(vsName(k)) was changed in the kernel (\(diffs.joined(separator: "; "))); restoring it"
            case .deleteDestination(let d, let k):
                text = "service \(rs(d, k)) of VS \(vsName(k)) is in the kernel table but not wanted; removing it"
            default:
                text = "\(op)"
            }
            return .log(.warning, "Repairing kernel drift: " + text)
        }
    }
}
