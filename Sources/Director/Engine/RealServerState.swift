import IPVSKit

/// The state of one checker of a real server.
public struct CheckerState: Hashable, Sendable {
    /// Whether the checker considers the server up.
    public var up: Bool
    /// Whether it has reported at least once.
    public var hasRun: Bool
    /// Whether it started down (`alpha`).
    public var alpha: Bool
    /// Creates a checker state.
    public init(up: Bool, hasRun: Bool, alpha: Bool) {
        self.up = up
        self.hasRun = hasRun
        self.alpha = alpha
    }
}

/// The live state of one real server (keepalived's `real_server_t` flags).
struct RealServerState: Sendable {
    var spec: RealServerSpec
    /// `inhibit_on_failure`, resolved.
    var inhibit: Bool
    var checkers: [CheckerID: CheckerState]
    /// Checkers that are down (`num_failed_checkers`).
    var failed: Int
    /// keepalived's `alive`: counted in the pool.
    var alive = false
    /// keepalived's `set`: present in the kernel table.
    var set = false
    /// Configured weight plus dynamic changes, before clamping.
    var effectiveWeight: Int64
    /// Kept across a reload (not a new server).
    var reloaded = false
    /// A checker has reported since the server was adopted from the kernel.
    var settled = false

    init(spec: RealServerSpec, vs: VirtualServerSpec) {
        self.spec = spec
        inhibit = spec.inhibitOnFailure ?? vs.inhibitOnFailure
        let rsAlpha = spec.alpha ?? vs.alpha
        var checkers: [CheckerID: CheckerState] = [:]
        var failed = 0
        for c in spec.checkers {
            let alpha = c.alpha ?? rsAlpha
            checkers[c.id] = CheckerState(up: !alpha, hasRun: false, alpha: alpha)
            if alpha { failed += 1 }
        }
        self.checkers = checkers
        self.failed = failed
        effectiveWeight = Int64(spec.weight)
    }

    var key: DestinationKey { spec.key }

    /// keepalived's `real_weight`: the effective weight clamped to 0...Int32.max.
    var realWeight: Int32 { Int32(clamping: max(0, effectiveWeight)) }
}

/// The live state of a sorry server.
struct SorryState: Sendable {
    var spec: SorryServerSpec
    var alive = false
    var set = false
    var key: DestinationKey { spec.key }
    var inhibit: Bool { spec.inhibit }
    func destination(weight: Int32) -> Destination {
        Destination(address: spec.address, port: spec.port, forwarding: spec.forwarding ?? .masquerade, weight: weight,
                    tunnel: spec.tunnel)
    }
}

/// A destination of a removed real server that is being drained.
public struct DrainingServer: Hashable, Sendable {
    /// The real server.
    public var id: RealServerID
    /// When draining began.
    public var since: ContinuousClock.Instant
    /// When it is deleted regardless of connections.
    public var deadline: ContinuousClock.Instant
    /// The destination as it stays in the table (weight 0).
    public var destination: Destination
}
