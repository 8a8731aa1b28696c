import IPVSKit

/// One virtual server's state machine: keepalived's `ipwrapper.c` applied to an in-memory model of the kernel
/// table instead of the kernel.
struct VirtualServerState: Sendable {
    var spec: VirtualServerSpec
    var servers: [RealServerState]
    var index: [DestinationKey: Int]
    var quorumUp = false
    var sorry: SorryState?
    /// What this virtual server has in the kernel table (per member service: the same destinations).
    var table: [DestinationKey: Destination] = [:]
    /// Removed real servers kept at weight 0 until drained.
    var draining: [DestinationKey: DrainingServer] = [:]
    /// Destinations adopted from the kernel for real servers whose first check is still pending.
    var provisional: [DestinationKey: Destination] = [:]

    init(spec: VirtualServerSpec) {
        self.spec = spec
        servers = spec.realServers.map { RealServerState(spec: $0, vs: spec) }
        var index: [DestinationKey: Int] = [:]
        index.reserveCapacity(servers.count)
        for (i, rs) in servers.enumerated() { index[rs.key] = i }
        table.reserveCapacity(servers.count)
        self.index = index
        sorry = spec.sorryServer.map { SorryState(spec: $0) }
    }

    var id: VirtualServerID { spec.id }
    var name: String { spec.id.description }
    func fmt(_ key: DestinationKey) -> String { formatRealServer(key, protocolName: spec.protocolName) }
    func rsID(_ key: DestinationKey) -> RealServerID { RealServerID(virtualServer: id, destination: key) }

    /// Σ of the real weights of alive real servers (`weigh_live_realservers`).
    var liveWeight: Int64 {
        servers.reduce(Int64(0)) { $0 + ($1.alive ? Int64($1.realWeight) : 0) }
    }

    var sorryAlive: Bool { sorry?.alive ?? false }

    /// Whether real-server changes reach the table: quorum up, or no sorry server in service.
    var poolWritable: Bool { quorumUp || sorry == nil || !sorryAlive }

    // MARK: - The table model (keepalived's ipvs_cmd)

    /// `ADD_DEST` for real server `i`.
    mutating func ipvsAdd(_ i: Int) {
        let rs = servers[i]
        provisional[rs.key] = nil
        if rs.inhibit && rs.set {
            table[rs.key] = rs.spec.destination(weight: rs.realWeight)
        } else if !rs.set {
            servers[i].set = true
            table[rs.key] = rs.spec.destination(weight: rs.inhibit && rs.failed > 0 ? 0 : rs.realWeight)
        } else if table[rs.key] == nil {
            table[rs.key] = rs.spec.destination(weight: rs.realWeight)
        }
    }

    /// `DEL_DEST` for real server `i`: weight 0 when inhibited, else removal. `force` ignores inhibit.
    mutating func ipvsDelete(_ i: Int, force: Bool = false) {
        let rs = servers[i]
        provisional[rs.key] = nil
        if rs.inhibit && !force {
            table[rs.key] = rs.spec.destination(weight: 0)
        } else {
            servers[i].set = false
            table[rs.key] = nil
        }
    }

    /// `EDIT_DEST` for real server `i` with its current weight.
    mutating func ipvsEdit(_ i: Int) {
        let rs = servers[i]
        table[rs.key] = rs.spec.destination(weight: rs.realWeight)
    }

    mutating func sorryAdd() {
        guard let s = sorry else { return }
        if s.inhibit && s.set {
            table[s.key] = s.destination(weight: max(0, s.spec.weight))
        } else if !s.set {
            sorry?.set = true
            table[s.key] = s.destination(weight: max(0, s.spec.weight))
        }
    }

    mutating func sorryDelete(force: Bool = false) {
        guard let s = sorry else { return }
        if s.inhibit && !force {
            table[s.key] = s.destination(weight: 0)
        } else {
            sorry?.set = false
            table[s.key] = nil
        }
    }

    // MARK: - Notifications

    func rsNotifies(_ i: Int, into actions: inout [DirectorAction], stopping: Bool = false) {
        let rs = servers[i]
        if let script = rs.alive ? rs.spec.notifyUp : rs.spec.notifyDown { actions.append(.runScript(script)) }
        actions.append(.realServerChanged(rsID(rs.key), up: rs.alive))
    }

    /// `do_vs_notifies`: the quorum script, the state change, and keepalived's numbers for it.
    func vsNotifies(into actions: inout [DirectorAction], cause: QuorumReport.Cause, threshold: Int64, sum: Int64) {
        if cause == .stopping && !spec.omega { return }
        if let script = quorumUp ? spec.quorumUp : spec.quorumDown { actions.append(.runScript(script)) }
        actions.append(.quorumChanged(id, up: quorumUp))
        actions.append(.quorumReport(QuorumReport(virtualServer: id, up: quorumUp, cause: cause, quorum: spec.quorum,
                                                  hysteresis: spec.hysteresis, threshold: threshold, weightSum: sum)))
    }

    // MARK: - Transitions

    /// `perform_quorum_state`: add or remove every alive real server.
    mutating func performQuorumState(add: Bool, into actions: inout [DirectorAction]) {
        actions.append(.log(.info, "\(add ? "Adding alive servers to" : "Removing alive servers from") the pool for VS \(name)"))
        for i in servers.indices where servers[i].alive {
            if add { ipvsAdd(i) } else { ipvsDelete(i) }
        }
    }

    /// `update_quorum_state`.
    mutating func updateQuorumState(initial: Bool, into actions: inout [DirectorAction]) {
        let sum = liveWeight
        let threshold = Int64(spec.quorum) + (quorumUp ? -1 : 1) * Int64(spec.hysteresis)
        if !quorumUp && sum >= threshold {
            quorumUp = true
            actions.append(.log(.info, "Gained quorum \(spec.quorum)+\(spec.hysteresis)=\(threshold) <= \(sum) for VS \(name)"))
            if let s = sorry, s.alive {
                actions.append(.log(.info, "\(s.inhibit ? "Disabling" : "Removing") sorry server \(fmt(s.key)) from VS \(name)"))
                sorryDelete()
                sorry?.alive = false
                performQuorumState(add: true, into: &actions)
            }
            vsNotifies(into: &actions, cause: initial ? .start : .change, threshold: threshold, sum: sum)
        } else if (quorumUp && (sum == 0 || sum < threshold)) || (initial && !quorumUp && sorry != nil && !sorryAlive) {
            quorumUp = false
            actions.append(.log(.info, "\(initial ? "Starting with quorum down" : "Lost quorum") \(spec.quorum)-\(spec.hysteresis)=\(threshold) > \(sum) for VS \(name)"))
            if let s = sorry, !s.alive {
                actions.append(.log(.info, "\(s.inhibit ? "Enabling" : "Adding") sorry server \(fmt(s.key)) to VS \(name)"))
                performQuorumState(add: false, into: &actions)
                sorryAdd()
                sorry?.alive = true
            }
            vsNotifies(into: &actions, cause: initial ? .start : .change, threshold: threshold, sum: sum)
        }
    }

    /// `perform_svr_state`: a real server becomes alive or not.
    mutating func performServerState(_ i: Int, alive: Bool, into actions: inout [DirectorAction]) {
        let rs = servers[i]
        if rs.alive == alive { return }
        let verb = alive ? (rs.inhibit ? "Enabling" : "Adding") : (rs.inhibit ? "Disabling" : "Removing")
        let prep = rs.inhibit ? "of" : alive ? "to" : "from"
        actions.append(.log(.info, "\(verb) service \(fmt(rs.key)) \(prep) VS \(name)"))
        if poolWritable {
            if alive { ipvsAdd(i) } else { ipvsDelete(i) }
        }
        servers[i].alive = alive
        rsNotifies(i, into: &actions)
        updateQuorumState(initial: false, into: &actions)
    }

    /// `update_svr_wgt`: a new effective weight.
    mutating func updateWeight(_ i: Int, to weight: Int64, updateQuorum: Bool, into actions: inout [DirectorAction]) {
        let old = servers[i].realWeight
        servers[i].effectiveWeight = weight
        let new = servers[i].realWeight
        guard new != old else { return }
        let rs = servers[i]
        actions.append(.log(.info, "Changing weight from \(old) to \(new) for \(rs.alive ? "" : "in")active service \(fmt(rs.key)) of VS \(name)"))
        if rs.set && rs.alive && poolWritable { ipvsEdit(i) }
        if updateQuorum { updateQuorumState(initial: false, into: &actions) }
    }

    /// `update_svr_checker_state`: one checker reports.
    mutating func checkerReported(_ i: Int, checker: CheckerID, up: Bool, into actions: inout [DirectorAction]) {
        guard let state = servers[i].checkers[checker] else { return }
        servers[i].settled = true
        // An adopted destination awaiting this server's first results follows the state machine once the server
        // is known to be down (or, through ipvsAdd, up).
        if !up { provisional[servers[i].key] = nil }
        if state.up == up {
            if !state.hasRun {
                if state.alpha || !up { rsNotifies(i, into: &actions) }
                servers[i].checkers[checker]?.hasRun = true
            }
            return
        }
        servers[i].checkers[checker]?.hasRun = true
        if up {
            if servers[i].failed <= 1 { performServerState(i, alive: true, into: &actions) }
        } else {
            if servers[i].failed == 0 { performServerState(i, alive: false, into: &actions) }
        }
        setChecker(i, checker, up: up)
    }

    /// `set_checker_state`.
    mutating func setChecker(_ i: Int, _ checker: CheckerID, up: Bool) {
        guard let state = servers[i].checkers[checker], state.up != up else { return }
        servers[i].checkers[checker]?.up = up
        if !up { servers[i].failed += 1 } else if servers[i].failed > 0 { servers[i].failed -= 1 }
    }

    /// `init_service_rs` + the quorum update and sorry-server set-up of `init_service_vs`.
    mutating func initialise(into actions: inout [DirectorAction]) {
        for i in servers.indices where !servers[i].reloaded {
            let rs = servers[i]
            if (rs.failed == 0 && !rs.alive) || (rs.inhibit && !rs.set) {
                ipvsAdd(i)
                if rs.failed == 0 { servers[i].alive = true }
            }
        }
        updateQuorumState(initial: true, into: &actions)
        if let s = sorry, s.inhibit, !s.set {
            sorry?.set = true
            table[s.key] = s.destination(weight: 0)
        }
    }

    /// `clear_service_rs` for real server `i`.
    mutating func clearServer(_ i: Int, stopping: Bool, into actions: inout [DirectorAction]) {
        let rs = servers[i]
        if rs.set || stopping {
            actions.append(.log(.info, "\(stopping ? "Shutting down" : "Removing") \(rs.inhibit && !rs.alive ? "(inhibited) " : "")service \(fmt(rs.key)) from VS \(name)"))
        }
        if rs.set { ipvsDelete(i, force: true) }
        guard rs.alive else { return }
        servers[i].alive = false
        if !spec.omega && stopping { return }
        rsNotifies(i, into: &actions, stopping: stopping)
        actions.append(.realServerCleared(rsID(rs.key), stopping: stopping))
    }

    /// `update_vs_notifies`.
    mutating func updateVSNotifies(stopping: Bool, into actions: inout [DirectorAction]) {
        let threshold = Int64(spec.quorum) - Int64(spec.hysteresis)
        let sum = liveWeight
        if stopping || (quorumUp && (sum == 0 || sum < threshold)) {
            quorumUp = false
            vsNotifies(into: &actions, cause: stopping ? .stopping : .change, threshold: threshold, sum: sum)
        }
    }

    /// `clear_service_vs`: everything of this virtual server leaves the table.
    mutating func clearAll(stopping: Bool, into actions: inout [DirectorAction]) {
        if sorry?.set == true {
            sorryDelete(force: true)
            sorry?.alive = false
        }
        for i in servers.indices { clearServer(i, stopping: stopping, into: &actions) }
        updateVSNotifies(stopping: stopping, into: &actions)
        table.removeAll()
        draining.removeAll()
        provisional.removeAll()
    }

    /// The kernel entries this virtual server wants.
    var entries: [ServiceEntry] {
        var dests = table
        for (k, d) in draining where dests[k] == nil { dests[k] = d.destination }
        for (k, d) in provisional where dests[k] == nil { dests[k] = d }
        // Sorting the small keys and looking each destination up moves far less memory than sorting destinations.
        let list = dests.keys.sorted { ($0.address, $0.port) < ($1.address, $1.port) }.compactMap { dests[$0] }
        return spec.services.map { ServiceEntry(service: $0, destinations: list) }
    }
}
