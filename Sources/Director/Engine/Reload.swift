import IPVSKit

/// keepalived's `clear_diff_services`: turn the old state into the new configuration's, keeping the state of what
/// is unchanged.
enum Reload {
    static func apply(old: [VirtualServerState], retiring: inout [VirtualServerState], new: [VirtualServerSpec],
                      now: ContinuousClock.Instant, actions: inout [DirectorAction]) -> [VirtualServerState] {
        let newIDs = Set(new.map(\.id))
        let newKeys = Set(new.flatMap(\.serviceKeys))
        var oldByID: [VirtualServerID: VirtualServerState] = [:]
        // A draining virtual server configured again is reloaded like a kept one; one whose services are now
        // claimed by another virtual server is dropped.
        var stillRetiring: [VirtualServerState] = []
        for vs in retiring {
            if newIDs.contains(vs.id) {
                oldByID[vs.id] = vs
            } else if vs.spec.serviceKeys.contains(where: newKeys.contains) {
                actions.append(.log(.info, "Removing Virtual Server \(vs.name): its services are configured again; draining stopped"))
            } else {
                stillRetiring.append(vs)
            }
        }
        retiring = stillRetiring
        for var vs in old {
            if newIDs.contains(vs.id) {
                oldByID[vs.id] = vs
                continue
            }
            if case .group(let name) = vs.id {
                actions.append(.log(.info, "Removing Virtual Server Group [\(name)]"))
            } else {
                actions.append(.log(.info, "Removing Virtual Server \(vs.name)"))
            }
            if let timeout = vs.spec.drainTimeout, !vs.spec.serviceKeys.contains(where: newKeys.contains) {
                retire(&vs, timeout: timeout, now: now, actions: &actions)
                if !vs.draining.isEmpty {
                    retiring.append(vs)
                    continue
                }
            }
            vs.clearAll(stopping: false, into: &actions)
        }
        var out: [VirtualServerState] = []
        for spec in new {
            if var previous = oldByID[spec.id] {
                out.append(reload(&previous, to: spec, now: now, actions: &actions))
            } else {
                var state = VirtualServerState(spec: spec)
                state.initialise(into: &actions)
                out.append(state)
            }
        }
        return out
    }

    /// A removed virtual server with `drain_timeout`: every destination it has in the table stays at weight 0
    /// until drained; servers and quorum are notified as keepalived does when it removes them.
    static func retire(_ vs: inout VirtualServerState, timeout: Duration, now: ContinuousClock.Instant,
                       actions: inout [DirectorAction]) {
        for (key, current) in vs.table.sorted(by: { ($0.key.address, $0.key.port) < ($1.key.address, $1.key.port) }) {
            actions.append(.log(.info, "Draining service \(vs.fmt(key)) of VS \(vs.name): weight 0 until its connections end or \(timeout) pass"))
            var dest = current
            dest.weight = 0
            vs.draining[key] = DrainingServer(id: vs.rsID(key), since: now, deadline: now + timeout, destination: dest)
        }
        vs.table.removeAll()
        vs.provisional.removeAll()
        vs.sorry?.set = false
        vs.sorry?.alive = false
        for i in vs.servers.indices {
            vs.servers[i].set = false
            if vs.servers[i].alive {
                vs.servers[i].alive = false
                vs.rsNotifies(i, into: &actions)
            }
        }
        vs.updateVSNotifies(stopping: false, into: &actions)
    }

    /// One kept virtual server.
    static func reload(_ old: inout VirtualServerState, to spec: VirtualServerSpec, now: ContinuousClock.Instant,
                       actions: inout [DirectorAction]) -> VirtualServerState {
        var vs = VirtualServerState(spec: spec)
        vs.quorumUp = old.quorumUp

        // Real servers no longer configured: drained (lvsd's drain_timeout) or deleted even if inhibited.
        for i in old.servers.indices where vs.index[old.servers[i].key] == nil {
            let rs = old.servers[i]
            actions.append(.log(.info, "service \(old.fmt(rs.key)) no longer exist"))
            if let timeout = spec.drainTimeout, rs.set, let current = old.table[rs.key] {
                actions.append(.log(.info, "Draining service \(old.fmt(rs.key)) of VS \(old.name): weight 0 until its connections end or \(timeout) pass"))
                var dest = current
                dest.weight = 0
                old.draining[rs.key] = DrainingServer(id: old.rsID(rs.key), since: now, deadline: now + timeout, destination: dest)
                old.table[rs.key] = nil
                old.servers[i].set = false
                if rs.alive {
                    old.servers[i].alive = false
                    old.rsNotifies(i, into: &actions)
                }
            } else {
                old.clearServer(i, stopping: false, into: &actions)
            }
        }
        vs.table = old.table
        vs.draining = old.draining
        vs.provisional = old.provisional.filter { vs.index[$0.key] != nil }
        for key in vs.draining.keys.sorted(by: { ($0.address, $0.port) < ($1.address, $1.port) }) {
            if vs.index[key] != nil {
                actions.append(.log(.info, "Service \(vs.fmt(key)) of VS \(vs.name) is configured again; draining stopped"))
                vs.draining[key] = nil
            } else if spec.drainTimeout == nil {
                // Draining is switched off: what was draining goes now, as keepalived would have done.
                actions.append(.log(.info, "Removing drained service \(vs.fmt(key)) from VS \(vs.name): drain_timeout no longer configured"))
                vs.draining[key] = nil
            }
        }

        // Kept real servers: carry their state over.
        var kept: [(index: Int, effective: Int64)] = []
        for i in vs.servers.indices {
            let key = vs.servers[i].key
            guard let oi = old.index[key] else { continue }
            let o = old.servers[oi]
            vs.servers[i].alive = o.alive
            vs.servers[i].set = o.set
            vs.servers[i].reloaded = true
            vs.servers[i].settled = o.settled
            vs.servers[i].effectiveWeight = o.effectiveWeight
            let wanted = Int64(vs.servers[i].spec.weight) + (o.effectiveWeight - Int64(o.spec.weight))
            kept.append((i, wanted))

            var anyRun = false
            var failedRun = 0
            for (id, state) in vs.servers[i].checkers {
                var s = state
                if let oc = o.checkers[id], oc.hasRun {
                    s.up = oc.up
                    s.hasRun = true
                    anyRun = true
                    if !oc.up { failedRun += 1 }
                } else {
                    s.up = true
                    s.hasRun = false
                }
                vs.servers[i].checkers[id] = s
            }
            if failedRun > 0 || (!o.alive && !anyRun) {
                for (id, s) in vs.servers[i].checkers where !s.hasRun && s.alpha { vs.servers[i].checkers[id]?.up = false }
            }
            vs.servers[i].failed = vs.servers[i].checkers.values.filter { !$0.up }.count
            if let d = vs.table[key] { vs.table[key] = vs.servers[i].spec.destination(weight: d.weight) }
        }
        for (i, wanted) in kept {
            if wanted != vs.servers[i].effectiveWeight {
                vs.updateWeight(i, to: wanted, updateQuorum: false, into: &actions)
            }
            let rs = vs.servers[i]
            if rs.failed == 0 && !rs.alive {
                vs.performServerState(i, alive: true, into: &actions)
            } else if rs.failed > 0 && rs.alive {
                vs.performServerState(i, alive: false, into: &actions)
            } else if rs.failed > 0 && rs.set != rs.inhibit {
                if rs.inhibit {
                    vs.servers[i].set = true
                    vs.table[rs.key] = rs.spec.destination(weight: 0)
                } else {
                    vs.servers[i].set = false
                    vs.table[rs.key] = nil
                }
            }
        }

        diffSorry(old: old.sorry, into: &vs, actions: &actions)
        vs.initialise(into: &actions)
        return vs
    }

    /// keepalived's `clear_diff_s_srv`.
    static func diffSorry(old: SorryState?, into vs: inout VirtualServerState, actions: inout [DirectorAction]) {
        guard let o = old else { return }
        if let n = vs.sorry, n.key == o.key {
            vs.sorry?.alive = o.alive
            vs.sorry?.set = o.set
            if o.inhibit == n.inhibit || o.alive {
                if let d = vs.table[n.key] { vs.table[n.key] = n.destination(weight: d.weight == 0 ? 0 : max(0, n.spec.weight)) }
                return
            }
        }
        let reinstate = o.alive && vs.sorry == nil
        guard o.alive || o.set else { return }
        actions.append(.log(.info, "Removing sorry server \(vs.fmt(o.key)) from VS \(vs.name)"))
        vs.table[o.key] = nil
        if vs.sorry?.key == o.key {
            vs.sorry?.set = false
            vs.sorry?.alive = false
        }
        if reinstate { vs.performQuorumState(add: true, into: &actions) }
    }
}
