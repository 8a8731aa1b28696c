import KeepalivedConfig
import Logging
import Observability
import ServiceLifecycle

/// The configuration and its reloads: one service that owns the running configuration, takes reload requests
/// (SIGHUP, `lvsd reload`) one at a time and makes each one transactional.
///
/// A reload parses the file once (on a thread of its own), asks every ``ConfigurationParticipant`` to check the
/// result, and only when all accept applies it to each in turn. A configuration with any error, or one any
/// participant refuses, changes nothing anywhere and is logged with its reasons (`FILE:LINE` for configuration
/// errors). If a participant refuses at apply time, those that had already taken it get the running
/// configuration back.
public actor ConfigurationService: ServiceLifecycle.Service {
    private let participants: [any ConfigurationParticipant]
    private let requests: ReloadRequests
    private let logger: Logger
    private let reader: WorkerThread
    private let read: @Sendable (String) -> ParseResult
    private let audit: @Sendable (KeepalivedConfiguration) -> Void
    private let notifier: SystemdNotifier
    private var current: ConfigurationCandidate
    private var stopping = false

    /// Creates the service around the running configuration (`current`, the one that programmed the table).
    ///
    /// - Parameters:
    ///   - read: Reads and parses a configuration file (keepalived's parser by default; tests substitute one).
    ///   - audit: Looks at each configuration read without errors, before the participants check it, for what
    ///     should be logged but does not refuse it (lvsd: ``ScriptAudit``).
    public init(current: ConfigurationCandidate, participants: [any ConfigurationParticipant], requests: ReloadRequests,
                logger: Logger, notifier: SystemdNotifier = SystemdNotifier(),
                read: @escaping @Sendable (String) -> ParseResult = { ConfigurationReader.parse(file: $0) },
                audit: @escaping @Sendable (KeepalivedConfiguration) -> Void = { _ in }) {
        self.current = current
        self.participants = participants
        self.requests = requests
        self.logger = logger
        self.notifier = notifier
        self.read = read
        self.audit = audit
        reader = WorkerThread(name: "lvsd-config")
    }

    /// The running configuration.
    public var running: ConfigurationCandidate { current }

    /// Serves reload requests until graceful shutdown; requests still queued then are answered "stopping".
    public func run() async {
        await withGracefulShutdownHandler {
            for await request in requests.stream {
                if stopping {
                    request.reply(ReloadRequests.stopping)
                    continue
                }
                request.reply(await reload(from: request.source))
            }
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
        await reader.shutdown()
    }

    private func stop() {
        stopping = true
        requests.close()
    }

    /// Re-reads the configuration file and applies it everywhere, or nowhere.
    public func reload(from source: String) async -> ReloadOutcome {
        let file = current.file
        logger.info("Reloading lvsd from \(file) (\(source))")
        try? notifier.reloading()
        defer { try? notifier.ready(status: "running") }
        let outcome = await transaction(file: file)
        switch outcome {
        case .applied(let summary):
            logger.info("Reload done: \(summary)")
        case .refused(let reasons):
            for reason in reasons { logger.error("Reload refused: \(reason)") }
            logger.error("Reload refused: the running configuration is unchanged")
            for participant in participants { await participant.reloadRefused(reasons) }
        }
        return outcome
    }

    private func transaction(file: String) async -> ReloadOutcome {
        let read = self.read, audit = self.audit
        // The audit looks at files and users (stat, NSS), so it runs on the reader's thread too, not on the pool.
        guard let result = await reader.run({ () -> ParseResult in
            let result = read(file)
            if !result.hasErrors { audit(result.configuration) }
            return result
        }) else { return ReloadRequests.stopping }
        for d in result.diagnostics where d.severity != .error { logger.warning("\(d.description)") }
        guard !result.hasErrors else {
            return .refused(reasons: result.errors.map(\.description))
        }
        let candidate = ConfigurationCandidate(file: file, configuration: result.configuration)
        var problems: [String] = []
        for participant in participants {
            problems += await participant.check(candidate).map { "\(participant.participantName): \($0)" }
        }
        guard !problems.isEmpty || !stopping else { return ReloadRequests.stopping }
        guard problems.isEmpty else { return .refused(reasons: problems) }
        var applied: [any ConfigurationParticipant] = []
        for participant in participants {
            do throws(ReloadRefusal) {
                try await participant.apply(candidate)
                applied.append(participant)
            } catch {
                for done in applied.reversed() {
                    do throws(ReloadRefusal) { try await done.apply(current) } catch {
                        logger.error("Reload: \(done.participantName) could not take the running configuration back: \(error)")
                    }
                }
                return .refused(reasons: error.reasons.map { "\(participant.participantName): \($0)" })
            }
        }
        current = candidate
        return .applied(summary: "\(candidate.setup.virtualServers.count) virtual servers, \(candidate.setup.checks.count) checks")
    }
}
