import Logging
import Observability
import ServiceLifecycle

/// The Prometheus endpoint (`--metrics-address`, `lvsd_metrics_address`): `/metrics` refreshed from a kernel read
/// at each scrape, `/healthz` from the director loop's heartbeat.
public struct MetricsService: ServiceLifecycle.Service {
    private let server: MetricsServer
    private let logger: Logger
    private let address: String

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - render: The `/metrics` body (after refreshing the kernel figures).
    ///   - heartbeat: `/healthz` answers 200 while the director loop beat within `livenessLimit`.
    public init(host: String, port: Int, logger: Logger, heartbeat: Heartbeat, livenessLimit: Duration = .seconds(10),
                render: @escaping @Sendable () async -> String) {
        self.logger = logger
        address = "\(host):\(port)"
        server = MetricsServer(configuration: MetricsServerConfiguration(host: host, port: port), logger: logger,
                               render: render, liveness: {
            let (alive, reason) = heartbeat.isAlive(within: livenessLimit)
            return alive ? .alive : .unhealthy(reason)
        })
    }

    public func run() async {
        do {
            let bound = try await server.start()
            logger.info("Serving Prometheus metrics on http://\(bound.ipAddress.map { bound.protocol == .inet6 ? "[\($0)]" : $0 } ?? address):\(bound.port ?? 0)/metrics")
        } catch {
            logger.error("metrics endpoint \(address): \(error)")
            return
        }
        await waitForGracefulShutdown()
        await server.stop()
    }
}
