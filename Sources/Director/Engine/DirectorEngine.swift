import IPVSKit

/// The director's pure state machine: specs and checker results in; the wanted IPVS table, log lines and scripts
/// out. It does no I/O and reads no clock (times are passed in), so it runs the same under a fake clock.
///
/// It follows keepalived's `ipwrapper.c`: a real server is alive when all its checkers are up; non-alpha servers
/// start in the table before any check, alpha servers after their checks pass (at once with weight 0 when
/// inhibited); a failure deletes the destination, or sets weight 0 with `inhibit_on_failure`; quorum with
/// hysteresis swaps a sorry server in and out. See ``VirtualServerSpec`` for the settings.
///
/// ```swift
/// var engine = DirectorEngine()
/// let actions = try engine.load(specs, now: .now)      // log them, run their scripts
/// let actions = engine.handle(event)                   // a checker changed its mind
/// try client.apply(engine.desiredTable())              // or let ``Director`` do it
/// ```
public struct DirectorEngine: Sendable {
    var servers: [VirtualServerState] = []
    /// Virtual servers removed from the configuration whose real servers are draining (`drain_timeout`); their
    /// services are deleted when the last one is drained.
    var retiring: [VirtualServerState] = []
    var byID: [VirtualServerID: Int] = [:]
    /// Whether ``load(_:now:)`` has run: later loads are reloads.
    public private(set) var isLoaded = false

    /// Creates an engine with no virtual servers.
    public init() {}

    /// The virtual servers, in configuration order (normalised: ports forced, quorum clamped).
    public var specs: [VirtualServerSpec] { servers.map(\.spec) }

    /// Every kernel service the director manages now.
    public var managedServices: [ServiceKey] { (servers + retiring).flatMap(\.spec.serviceKeys) }

    /// The table the kernel should have for the managed services: complete destination lists.
    public func desiredTable() -> [ServiceEntry] { (servers + retiring).flatMap(\.entries) }

    /// The part of ``desiredTable()`` that belongs to the given virtual servers.
    public func desiredTable(for ids: Set<VirtualServerID>) -> [ServiceEntry] {
        servers.filter { ids.contains($0.id) }.flatMap(\.entries)
    }

    /// Real servers of removed configuration entries that are being drained.
    public var drainingServers: [DrainingServer] {
        (servers + retiring).flatMap { $0.draining.values.sorted { ($0.id.destination.address, $0.id.destination.port) < ($1.id.destination.address, $1.id.destination.port) } }
    }

    // MARK: - Configuration

    /// Loads specs: the first call starts every virtual server; later calls are reloads that keep the state of
    /// unchanged virtual and real servers and of checkers whose ``CheckerID`` is unchanged.
    ///
    /// On any invalid spec nothing changes and every problem is thrown at once.
    public mutating func load(_ specs: [VirtualServerSpec], now: ContinuousClock.Instant) throws(DirectorError) -> [DirectorAction] {
        let (valid, warnings) = try SpecValidation.validate(specs)
        var actions = warnings
        if !isLoaded {
            servers = valid.map { VirtualServerState(spec: $0) }
            for i in servers.indices { servers[i].initialise(into: &actions) }
            isLoaded = true
        } else {
            servers = Reload.apply(old: servers, retiring: &retiring, new: valid, now: now, actions: &actions)
        }
        byID = [:]
        for (i, s) in servers.enumerated() { byID[s.id] = i }
        return actions
    }

    // MARK: - Checker results

    /// Applies one checker result; returns what to log and run. Events for unknown servers or checkers are
    /// ignored (they may race with a reload).
    public mutating func handle(_ event: CheckerEvent) -> [DirectorAction] {
        guard let v = byID[event.realServer.virtualServer],
              let i = servers[v].index[event.realServer.destination],
              servers[v].servers[i].checkers[event.checker] != nil else { return [] }
        var actions: [DirectorAction] = []
        if let w = event.weight {
            servers[v].updateWeight(i, to: min(max(w, 0), Int64(Int32.max)), updateQuorum: true, into: &actions)
        }
        servers[v].checkerReported(i, checker: event.checker, up: event.up, into: &actions)
        return actions
    }

    // MARK: - Kernel interplay

    /// Adopts what the kernel already has at start-up instead of flushing it: destinations of alpha real servers
    /// awaiting their first check are kept as they are until it comes; destinations that are not in the
    /// configuration are drained (with `drain_timeout`) or deleted. Everything else is planned as a minimal edit.
    public mutating func adopt(kernel: [ServiceEntry], now: ContinuousClock.Instant) -> [DirectorAction] {
        var actions: [DirectorAction] = []
        var byKey: [ServiceKey: ServiceEntry] = [:]
        for e in kernel { byKey[e.service.key] = e }
        for v in servers.indices {
            var vs = servers[v]
            var found = 0
            for key in vs.spec.serviceKeys {
                guard let entry = byKey[key] else { continue }
                found += 1
                for d in entry.destinations {
                    if let i = vs.index[d.key] {
                        let rs = vs.servers[i]
                        if !rs.set && !rs.settled && vs.table[d.key] == nil {
                            if vs.provisional[d.key] == nil {
                                actions.append(.log(.info, "Keeping service \(vs.fmt(d.key)) of VS \(vs.name) as found until its first check"))
                            }
                            var kept = rs.spec.destination(weight: d.weight)
                            kept.weight = d.weight
                            vs.provisional[d.key] = kept
                        }
                    } else if vs.sorry?.key == d.key {
                        continue
                    } else if vs.draining[d.key] == nil {
                        if let timeout = vs.spec.drainTimeout {
                            var dest = d
                            dest.weight = 0
                            dest.activeConnections = 0
                            dest.inactiveConnections = 0
                            dest.persistentConnections = 0
                            dest.stats = Stats()
                            vs.draining[d.key] = DrainingServer(id: vs.rsID(d.key), since: now, deadline: now + timeout, destination: dest)
                            actions.append(.log(.info, "Draining service \(vs.fmt(d.key)) of VS \(vs.name): not in the configuration"))
                        } else {
                            actions.append(.log(.info, "Removing service \(vs.fmt(d.key)) from VS \(vs.name): not in the configuration"))
                        }
                    }
                }
            }
            if found > 0 { actions.append(.log(.info, "Adopting VS \(vs.name) from the kernel table")) }
            servers[v] = vs
        }
        return actions
    }

    /// Deletes drained destinations: those whose active and inactive connections (read from `kernel`) are 0,
    /// and those whose drain timeout has passed.
    public mutating func updateDrains(kernel: [ServiceEntry], now: ContinuousClock.Instant) -> [DirectorAction] {
        var actions: [DirectorAction] = []
        var byKey: [ServiceKey: ServiceEntry] = [:]
        for e in kernel { byKey[e.service.key] = e }
        for v in servers.indices where !servers[v].draining.isEmpty {
            Self.updateDrains(of: &servers[v], kernel: byKey, now: now, into: &actions)
        }
        for v in retiring.indices {
            Self.updateDrains(of: &retiring[v], kernel: byKey, now: now, into: &actions)
            if retiring[v].draining.isEmpty {
                actions.append(.log(.info, "Removing Virtual Server \(retiring[v].name): drained"))
            }
        }
        retiring.removeAll { $0.draining.isEmpty }
        return actions
    }

    private static func updateDrains(of vs: inout VirtualServerState, kernel byKey: [ServiceKey: ServiceEntry],
                                     now: ContinuousClock.Instant, into actions: inout [DirectorAction]) {
        for (key, drain) in vs.draining.sorted(by: { ($0.key.address, $0.key.port) < ($1.key.address, $1.key.port) }) {
            var present = false
            var connections: UInt64 = 0
            for sk in vs.spec.serviceKeys {
                if let d = byKey[sk]?.destinations.first(where: { $0.key == key }) {
                    present = true
                    connections += UInt64(d.activeConnections) + UInt64(d.inactiveConnections)
                }
            }
            if !present {
                actions.append(.log(.info, "Drained service \(vs.fmt(key)) of VS \(vs.name) is no longer in the kernel table"))
            } else if connections == 0 {
                actions.append(.log(.info, "Removing drained service \(vs.fmt(key)) from VS \(vs.name): no connections left"))
            } else if now >= drain.deadline {
                actions.append(.log(.info, "Removing drained service \(vs.fmt(key)) from VS \(vs.name): drain timeout passed with \(connections) connections"))
            } else {
                continue
            }
            vs.draining[key] = nil
        }
    }

    // MARK: - Shutdown

    /// SIGTERM: every virtual server is cleared as keepalived does at exit (`Shutting down service ...`); the
    /// desired table becomes empty, so the reconciler deletes every managed service. With `omega`, down notifiers
    /// run.
    public mutating func shutdown() -> [DirectorAction] {
        var actions: [DirectorAction] = []
        for v in servers.indices { servers[v].clearAll(stopping: true, into: &actions) }
        for v in retiring.indices { retiring[v].clearAll(stopping: true, into: &actions) }
        return actions
    }

    // MARK: - Status

    /// Each virtual server's quorum (cheap: no real-server detail), for the announce decisions.
    public func quorumStates() -> [VirtualServerID: Bool] {
        Dictionary(servers.map { ($0.id, $0.quorumUp) }, uniquingKeysWith: { a, _ in a })
    }

    /// The state of every virtual server, for status dumps and metrics.
    public func status() -> [VirtualServerStatus] {
        servers.map { vs in
            VirtualServerStatus(
                id: vs.id, quorumUp: vs.quorumUp, sorryServerActive: vs.sorryAlive, liveWeight: vs.liveWeight,
                realServers: vs.servers.map { rs in
                    RealServerStatus(id: vs.rsID(rs.key), alive: rs.alive, inTable: vs.table[rs.key] != nil,
                                     tableWeight: vs.table[rs.key]?.weight, effectiveWeight: rs.effectiveWeight,
                                     checkers: rs.checkers)
                },
                draining: vs.draining.values.map(\.id.destination))
        }
    }

    /// keepalived's notify-FIFO line for a state-change action: `RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 UP` or
    /// `VS [10.0.0.1]:tcp:80 DOWN` (with a trailing newline, as written to the FIFO); `nil` for other actions.
    public func fifoLine(for action: DirectorAction) -> String? {
        switch action {
        case .realServerChanged(let id, let up):
            let proto = byID[id.virtualServer].map { servers[$0].spec.protocolName } ?? "none"
            return "RS \(formatRealServer(id.destination, protocolName: proto)) \(id.virtualServer) \(up ? "UP" : "DOWN")\n"
        case .quorumChanged(let id, let up):
            return "VS \(id) \(up ? "UP" : "DOWN")\n"
        default:
            return nil
        }
    }

    /// Whether a real server is alive (counted in its virtual server's pool), or `nil` if unknown.
    public func realServerAlive(_ rs: RealServerID) -> Bool? {
        guard let v = byID[rs.virtualServer], let i = servers[v].index[rs.destination] else { return nil }
        return servers[v].servers[i].alive
    }

    /// The state of one checker, or `nil` if unknown.
    public func checkerState(_ rs: RealServerID, _ checker: CheckerID) -> CheckerState? {
        guard let v = byID[rs.virtualServer], let i = servers[v].index[rs.destination] else { return nil }
        return servers[v].servers[i].checkers[checker]
    }
}
