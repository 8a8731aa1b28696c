import Prometheus
import Synchronization

/// lvsd's Prometheus metrics: one facade over one `PrometheusCollectorRegistry`.
///
/// Every metric is prefixed `lvsd_`. The daemon feeds plain values (strings, integers, `Duration`s); this type
/// knows nothing of the director's or the checkers' types. Label values are free text (a virtual server's
/// kernel key such as `TCP 10.0.0.1:80` or `FWM 7`, a real server's `192.168.1.10:8080`, a checker type such
/// as `HTTP_GET`); the registry escapes quotes, backslashes and newlines in them.
///
/// | Metric | Type | Labels |
/// | --- | --- | --- |
/// | `lvsd_real_server_up` | gauge (1/0) | `virtual_server`, `real_server` |
/// | `lvsd_real_server_weight` | gauge (weight in the kernel) | `virtual_server`, `real_server` |
/// | `lvsd_real_server_transitions_total` | counter | `virtual_server`, `real_server`, `direction` (`up`/`down`) |
/// | `lvsd_check_duration_seconds` | histogram | `checker`, `real_server` |
/// | `lvsd_virtual_server_quorum_up` | gauge (1/0) | `virtual_server` |
/// | `lvsd_service_connections_total` | counter | `virtual_server` |
/// | `lvsd_service_in_packets_total`, `lvsd_service_out_packets_total` | counter | `virtual_server` |
/// | `lvsd_service_in_bytes_total`, `lvsd_service_out_bytes_total` | counter | `virtual_server` |
/// | `lvsd_reloads_total` | counter | `result` (`ok`/`refused`) |
/// | `lvsd_drift_repairs_total` | counter | none |
/// | `lvsd_build_info` | gauge (always 1) | `version` |
///
/// All methods are thread-safe and cheap; call them from any task.
///
/// ```swift
/// let metrics = LvsdMetrics(version: "0.1.0")
/// metrics.setRealServer(virtualServer: "TCP 10.0.0.1:80", realServer: "192.168.1.10:80", up: true)
/// metrics.recordCheck(checker: "TCP_CHECK", realServer: "192.168.1.10:80", latency: .milliseconds(3))
/// let text = metrics.render()
/// ```
public final class LvsdMetrics: Sendable {
    /// The registry every metric lives in; pass it to `PrometheusMetricsFactory` to add swift-metrics users.
    public let registry: PrometheusCollectorRegistry

    /// The buckets of `lvsd_check_duration_seconds`: 1 ms to 10 s (a checker's connect timeout is seconds).
    public static let checkLatencyBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    private struct RealServerKey: Hashable {
        var virtualServer: String
        var realServer: String
    }

    private struct CheckKey: Hashable {
        var checker: String
        var realServer: String
    }

    private struct State {
        /// The last kernel snapshot per virtual server, to turn snapshots into counter increments.
        var lastServiceCounters: [String: KernelServiceCounters] = [:]
        /// Each real server's series, made once (a registry look-up per update cost more than the update).
        var realServers: [RealServerKey: RealServerSeries] = [:]
        /// Each check's latency histogram, made once: the registry's look-up (name validation, label matching) is
        /// too dear to repeat for every check of a thousand checkers a second.
        var checks: [CheckKey: DurationHistogram] = [:]
        var quorums: Set<String> = []
    }

    private let state = Mutex(State())

    /// A real server's series: up and the two transition counters from the start, weight once it is set.
    private struct RealServerSeries {
        var up: Gauge
        var weight: Gauge?
        var becameUp: Counter
        var wentDown: Counter

        func transitions(_ direction: TransitionDirection) -> Counter {
            direction == .up ? becameUp : wentDown
        }
    }

    /// Creates the metrics and registers the ones without per-server labels (reloads, drift repairs, build info).
    ///
    /// - Parameters:
    ///   - registry: The registry to register into; a new one by default.
    ///   - version: lvsd's version, the `version` label of `lvsd_build_info`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), version: String) {
        self.registry = registry
        registry.makeGauge(descriptor: Name.buildInfo.descriptor, labels: [("version", version)]).set(to: 1)
        for result in ReloadResult.allCases {
            _ = self.reloadCounter(result)
        }
        _ = registry.makeCounter(descriptor: Name.driftRepairs.descriptor)
    }

    // MARK: Real servers

    /// Sets `lvsd_real_server_up` to 1 (alive) or 0 (dead) for a real server of a virtual server.
    ///
    /// The first call for a pair also creates its transition counters at zero, so `rate()` works from the start.
    public func setRealServer(virtualServer: String, realServer: String, up: Bool) {
        self.series(virtualServer, realServer).up.set(to: up ? 1 : 0)
    }

    /// Sets `lvsd_real_server_weight`: the weight the real server has in the kernel table now (0 when inhibited).
    public func setKernelWeight(virtualServer: String, realServer: String, weight: Int) {
        let key = RealServerKey(virtualServer: virtualServer, realServer: realServer)
        var series = self.series(virtualServer, realServer)
        if series.weight == nil {
            let gauge = self.registry.makeGauge(
                descriptor: Name.realServerWeight.descriptor,
                labels: Self.rsLabels(virtualServer, realServer)
            )
            series.weight = gauge
            self.state.withLock { $0.realServers[key]?.weight = gauge }
        }
        series.weight?.set(to: Double(weight))
    }

    /// Counts one up or down transition of a real server (`lvsd_real_server_transitions_total`).
    public func recordTransition(virtualServer: String, realServer: String, direction: TransitionDirection) {
        self.series(virtualServer, realServer).transitions(direction).increment()
    }

    /// Removes every series of a real server that left the configuration (up, weight, transitions).
    public func removeRealServer(virtualServer: String, realServer: String) {
        let key = RealServerKey(virtualServer: virtualServer, realServer: realServer)
        guard let series = self.state.withLock({ $0.realServers.removeValue(forKey: key) }) else { return }
        self.registry.unregisterGauge(series.up)
        if let weight = series.weight { self.registry.unregisterGauge(weight) }
        self.registry.unregisterCounter(series.becameUp)
        self.registry.unregisterCounter(series.wentDown)
    }

    // MARK: Checks

    /// Records one check's latency in `lvsd_check_duration_seconds`.
    ///
    /// - Parameters:
    ///   - checker: The checker type as keepalived names it (`TCP_CHECK`, `HTTP_GET`, `SSL_GET`, `MISC_CHECK`).
    ///   - realServer: The checked target, e.g. `192.168.1.10:80` (a shared checker is counted once).
    ///   - latency: How long the check took, successful or not.
    public func recordCheck(checker: String, realServer: String, latency: Duration) {
        self.checkRecorder(checker: checker, realServer: realServer).record(latency)
    }

    /// The latency histogram of one check, for a caller that records many times (see ``CheckLatencyRecorder``).
    public func checkRecorder(checker: String, realServer: String) -> CheckLatencyRecorder {
        let key = CheckKey(checker: checker, realServer: realServer)
        return CheckLatencyRecorder(histogram: self.state.withLock { state in
            if let known = state.checks[key] { return known }
            let made = self.checkHistogram(checker, realServer)
            state.checks[key] = made
            return made
        })
    }

    /// Removes the latency histogram of a check that no longer runs.
    public func removeCheck(checker: String, realServer: String) {
        let known = self.state.withLock {
            $0.checks.removeValue(forKey: CheckKey(checker: checker, realServer: realServer)) != nil
        }
        guard known else { return }
        self.registry.unregisterDurationHistogram(self.checkHistogram(checker, realServer))
    }

    // MARK: Virtual servers

    /// Sets `lvsd_virtual_server_quorum_up`: 1 while the virtual server has quorum, 0 while it is down.
    public func setQuorum(virtualServer: String, up: Bool) {
        self.state.withLock { _ = $0.quorums.insert(virtualServer) }
        self.quorumGauge(virtualServer).set(to: up ? 1 : 0)
    }

    /// Exposes a kernel statistics snapshot of a virtual server as the `lvsd_service_*_total` counters.
    ///
    /// Prometheus counters only go up, so each call adds the difference from the previous snapshot. The first
    /// snapshot is exposed as is, so after the first call the counters equal the kernel's values exactly. When a
    /// value goes down (the service was re-created or zeroed with `ipvsadm -Z`), every counter of that virtual
    /// server restarts from the new snapshot, which Prometheus treats as a counter reset. Values above
    /// `Int64.max` (which no real counter reaches) are clamped to it.
    public func updateServiceCounters(virtualServer: String, _ counters: KernelServiceCounters) {
        // Under the lock, so two concurrent snapshots of one service cannot both add the same difference.
        self.state.withLock { state in
            let previous = state.lastServiceCounters[virtualServer]
            state.lastServiceCounters[virtualServer] = counters
            let fields = Self.serviceCounterFields()
            let wentBack = previous.map { previous in
                fields.contains { counters[keyPath: $0.1] < previous[keyPath: $0.1] }
            }
            for (metric, field) in fields {
                let counter = self.registry.makeCounter(
                    descriptor: metric.descriptor,
                    labels: [("virtual_server", virtualServer)]
                )
                let now = Self.clamped(counters[keyPath: field])
                if let previous, wentBack == false {
                    counter.increment(by: now - Self.clamped(previous[keyPath: field]))
                } else {
                    counter.reset()
                    counter.increment(by: now)
                }
            }
        }
    }

    /// Removes every series of a virtual server that left the configuration (quorum and service counters).
    public func removeVirtualServer(_ virtualServer: String) {
        let (hadCounters, hadQuorum) = self.state.withLock { state in
            (
                state.lastServiceCounters.removeValue(forKey: virtualServer) != nil,
                state.quorums.remove(virtualServer) != nil
            )
        }
        if hadQuorum {
            self.registry.unregisterGauge(self.quorumGauge(virtualServer))
        }
        if hadCounters {
            for (metric, _) in Self.serviceCounterFields() {
                self.registry.unregisterCounter(
                    self.registry.makeCounter(descriptor: metric.descriptor, labels: [("virtual_server", virtualServer)])
                )
            }
        }
    }

    // MARK: Reload

    /// Removes every per-server series that is not named here (after a reload: what left the configuration leaves
    /// `/metrics`, instead of staying there at its last value).
    ///
    /// - Parameters:
    ///   - virtualServers: The virtual servers that remain (quorum and service counters).
    ///   - realServers: The real servers that remain, by virtual server (up, weight, transitions).
    ///   - checks: The checks that remain, as passed to ``checkRecorder(checker:realServer:)``.
    public func keepOnly(virtualServers: Set<String>, realServers: [(virtualServer: String, realServer: String)],
                         checks: [(checker: String, realServer: String)]) {
        let keptServers = Set(realServers.map { RealServerKey(virtualServer: $0.virtualServer, realServer: $0.realServer) })
        let keptChecks = Set(checks.map { CheckKey(checker: $0.checker, realServer: $0.realServer) })
        let (goneServers, goneChecks, goneVirtualServers) = self.state.withLock { state in
            (
                state.realServers.keys.filter { !keptServers.contains($0) },
                state.checks.keys.filter { !keptChecks.contains($0) },
                Set(state.quorums).union(state.lastServiceCounters.keys).subtracting(virtualServers)
            )
        }
        for key in goneServers { removeRealServer(virtualServer: key.virtualServer, realServer: key.realServer) }
        for key in goneChecks { removeCheck(checker: key.checker, realServer: key.realServer) }
        for name in goneVirtualServers { removeVirtualServer(name) }
    }

    // MARK: Daemon events

    /// Counts one configuration reload (`lvsd_reloads_total{result="ok"|"refused"}`).
    public func recordReload(_ result: ReloadResult) {
        self.reloadCounter(result).increment()
    }

    /// Counts kernel drift repairs: entries changed by hand that lvsd put back (`lvsd_drift_repairs_total`).
    ///
    /// - Parameter count: How many kernel entries one repair pass fixed; negative values are ignored.
    public func recordDriftRepair(count: Int = 1) {
        guard count > 0 else { return }
        self.registry.makeCounter(descriptor: Name.driftRepairs.descriptor).increment(by: Int64(count))
    }

    // MARK: Output

    /// All metrics in the Prometheus text exposition format, version 0.0.4.
    public func render() -> String {
        self.registry.emitToString()
    }

    // MARK: Private

    /// A real server's series, made (up gauge and both transition counters at zero, so `rate()` works from the
    /// start) on first use.
    private func series(_ virtualServer: String, _ realServer: String) -> RealServerSeries {
        let key = RealServerKey(virtualServer: virtualServer, realServer: realServer)
        if let known = self.state.withLock({ $0.realServers[key] }) { return known }
        let made = RealServerSeries(
            up: self.registry.makeGauge(descriptor: Name.realServerUp.descriptor, labels: Self.rsLabels(virtualServer, realServer)),
            weight: nil,
            becameUp: self.transitionCounter(virtualServer, realServer, .up),
            wentDown: self.transitionCounter(virtualServer, realServer, .down)
        )
        return self.state.withLock { state in
            if let raced = state.realServers[key] { return raced }
            state.realServers[key] = made
            return made
        }
    }

    private func transitionCounter(
        _ virtualServer: String,
        _ realServer: String,
        _ direction: TransitionDirection
    ) -> Counter {
        self.registry.makeCounter(
            descriptor: Name.transitions.descriptor,
            labels: Self.rsLabels(virtualServer, realServer) + [("direction", direction.rawValue)]
        )
    }

    private func checkHistogram(_ checker: String, _ realServer: String) -> DurationHistogram {
        self.registry.makeDurationHistogram(
            descriptor: Name.checkDuration.descriptor,
            labels: [("checker", checker), ("real_server", realServer)],
            buckets: Self.checkLatencyBuckets
        )
    }

    private func quorumGauge(_ virtualServer: String) -> Gauge {
        self.registry.makeGauge(
            descriptor: Name.quorumUp.descriptor,
            labels: [("virtual_server", virtualServer)]
        )
    }

    private func reloadCounter(_ result: ReloadResult) -> Counter {
        self.registry.makeCounter(descriptor: Name.reloads.descriptor, labels: [("result", result.rawValue)])
    }

    private static func rsLabels(_ virtualServer: String, _ realServer: String) -> [(String, String)] {
        [("virtual_server", virtualServer), ("real_server", realServer)]
    }

    private static func clamped(_ value: UInt64) -> Int64 {
        value > UInt64(Int64.max) ? Int64.max : Int64(value)
    }

    /// The kernel counters and the metric each one feeds.
    private static func serviceCounterFields() -> [(Name, KeyPath<KernelServiceCounters, UInt64>)] {
        [
            (.connections, \.connections),
            (.inPackets, \.inPackets),
            (.outPackets, \.outPackets),
            (.inBytes, \.inBytes),
            (.outBytes, \.outBytes),
        ]
    }

    /// Metric names with their help texts, fixed so the two can never disagree (the registry traps if they do).
    enum Name: String, CaseIterable {
        case realServerUp = "lvsd_real_server_up"
        case realServerWeight = "lvsd_real_server_weight"
        case transitions = "lvsd_real_server_transitions_total"
        case checkDuration = "lvsd_check_duration_seconds"
        case quorumUp = "lvsd_virtual_server_quorum_up"
        case connections = "lvsd_service_connections_total"
        case inPackets = "lvsd_service_in_packets_total"
        case outPackets = "lvsd_service_out_packets_total"
        case inBytes = "lvsd_service_in_bytes_total"
        case outBytes = "lvsd_service_out_bytes_total"
        case reloads = "lvsd_reloads_total"
        case driftRepairs = "lvsd_drift_repairs_total"
        case buildInfo = "lvsd_build_info"

        var help: String {
            switch self {
            case .realServerUp: "Whether the real server is alive according to its checkers (1) or not (0)."
            case .realServerWeight: "The real server's weight in the kernel IPVS table (0 while inhibited)."
            case .transitions: "Real server state changes, by direction."
            case .checkDuration: "Duration of health checks, successful or not."
            case .quorumUp: "Whether the virtual server has quorum (1) or not (0)."
            case .connections: "Connections scheduled by the kernel for the virtual server."
            case .inPackets: "Packets received by the virtual server."
            case .outPackets: "Packets sent by the virtual server (NAT only)."
            case .inBytes: "Bytes received by the virtual server."
            case .outBytes: "Bytes sent by the virtual server (NAT only)."
            case .reloads: "Configuration reloads, by result."
            case .driftRepairs: "Kernel table entries changed outside lvsd and put back."
            case .buildInfo: "lvsd build information; the value is always 1."
            }
        }

        /// The full name is the raw value; the descriptor carries it whole, with no unit suffix added.
        var descriptor: MetricNameDescriptor {
            MetricNameDescriptor(metricName: self.rawValue, unitName: "", helpText: self.help)
        }
    }
}

/// Records one check's latencies in `lvsd_check_duration_seconds` without looking the series up each time.
public struct CheckLatencyRecorder: Sendable {
    let histogram: DurationHistogram

    /// Records one check's latency.
    public func record(_ latency: Duration) {
        histogram.record(latency)
    }
}
