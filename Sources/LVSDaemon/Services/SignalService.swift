import Logging
import ServiceLifecycle

/// Signals, as keepalived acts on them: HUP reloads, USR1 logs the status dump, TERM and INT stop. The service
/// returns on TERM or INT, which shuts the whole group down gracefully (intake first, the director last).
public struct SignalService: ServiceLifecycle.Service {
    private let signals: AsyncStream<DaemonSignal>
    private let reloads: ReloadRequests
    private let status: @Sendable () async -> String
    private let logger: Logger

    /// Creates the service over the signal stream made at start-up (``SignalSource``).
    public init(signals: AsyncStream<DaemonSignal>, reloads: ReloadRequests, logger: Logger,
                status: @escaping @Sendable () async -> String) {
        self.signals = signals
        self.reloads = reloads
        self.logger = logger
        self.status = status
    }

    public func run() async {
        await cancelWhenGracefulShutdownQuietly {
            for await signal in signals {
                switch signal {
                case .reload:
                    reloads.submit(from: "SIGHUP")
                case .dumpStatus:
                    for line in await status().split(separator: "\n") { logger.info("\(line)") }
                case .stop:
                    logger.info("Received a stop signal; shutting down")
                    return
                }
            }
        }
    }
}
