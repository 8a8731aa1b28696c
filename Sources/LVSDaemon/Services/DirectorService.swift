import Director
import Foundation
import HealthCheck
import IPVSKit
import KeepalivedConfig
import Logging
import Observability
import ProgramRunner
import ServiceLifecycle
import SMTPAlert

/// The LVS director with its health checkers: the only service that changes the IPVS table.
///
/// Data flow: checker verdicts (``CheckEngine/transitions``) → ``CheckerEvent`` → ``Director`` (desired table →
/// kernel), batched when several arrive together; once a second the director's periodic work (drains, and every
/// ``driftRepairInterval`` seconds the repair of hand edits). Every ``DirectorUpdate`` is logged, its scripts run
/// and its state changes recorded in the metrics here. With a ``SMTPAlert/MailAlerter``, the real-server and
/// quorum changes are mailed as keepalived mails them (``DirectorAlerts``).
///
/// Every call into the director (each one a netlink exchange) runs on a ``WorkerThread`` of its own, never on the
/// cooperative pool. Once graceful shutdown begins nothing changes the kernel but the shutdown itself: checker
/// verdicts, ticks and reloads that arrive later are dropped (a reload is refused).
///
/// The table was programmed before this service was made (``StartupSequence``); ``run()`` reports that, starts
/// the checkers and serves until graceful shutdown, then stops the checkers and removes lvsd's services from the
/// kernel, as keepalived does.
public actor DirectorService: ServiceLifecycle.Service, ConfigurationParticipant {
    /// Seconds between two repairs of hand edits to managed entries (each reads the whole kernel table).
    public static let driftRepairInterval = 30

    public nonisolated let participantName = "director"
    private let director: Director
    private let engine: CheckEngine
    private let kernel: WorkerThread
    private let scripts: any ScriptLauncher
    private let metrics: DirectorMetrics?
    private let logger: Logger
    private let heartbeat: Heartbeat
    private let published: PublishedSpecs
    private let notifier: SystemdNotifier
    private let tickInterval: Duration
    private var setup: KeepalivedSetup
    private var plan: KeepalivedSetup.CheckerPlan
    private var startUpdate: DirectorUpdate?
    private var pending: [CheckTransition] = []
    private let alerter: MailAlerter?
    private var alerts: DirectorAlerts
    private var fifos = CheckerNotifyFifos()
    private let work: AsyncStream<Void>
    private let workAvailable: AsyncStream<Void>.Continuation
    private var ticks = 0
    private var stopping = false
    /// When the running configuration was loaded and how the last reload went, for the status report.
    private(set) var configLoadedAt = Date()
    private(set) var lastReload: ReloadStatus?

    /// Creates the service around a director that has already started with `setup` (``Director/start(_:now:)``
    /// returned `started`).
    ///
    /// - Parameters:
    ///   - alerter: where the SMTP alerts go (none are sent without one); it takes the mail settings of each
    ///     configuration applied, and is given up to 5 s at shutdown to deliver what is queued.
    ///   - tickInterval: how often the periodic work runs (1 s; tests shorten it).
    public init(director: Director, setup: KeepalivedSetup, started: DirectorUpdate, engine: CheckEngine,
                scripts: any ScriptLauncher, metrics: DirectorMetrics?, heartbeat: Heartbeat, published: PublishedSpecs,
                logger: Logger, alerter: MailAlerter? = nil, notifier: SystemdNotifier = SystemdNotifier(),
                tickInterval: Duration = .seconds(1)) {
        self.director = director
        self.setup = setup
        plan = setup.checkerPlan()
        self.alerter = alerter
        alerts = DirectorAlerts(setup: setup, plan: plan)
        startUpdate = started
        self.engine = engine
        self.scripts = scripts
        self.metrics = metrics
        self.heartbeat = heartbeat
        self.published = published
        self.logger = logger
        self.notifier = notifier
        self.tickInterval = tickInterval
        kernel = WorkerThread(name: "lvsd-director")
        (work, workAvailable) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: - Service

    /// Starts the checkers, serves until graceful shutdown, then stops the checkers and clears the table.
    public func run() async {
        await start()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.consumeVerdicts() }
            group.addTask { await self.processVerdicts() }
            group.addTask { await self.tickEverySecond() }
            // Graceful shutdown (or cancellation): from here on nothing but the shutdown changes the kernel.
            await waitForGracefulShutdown()
            self.stopping = true
            group.cancelAll()
        }
        await finish()
    }

    private func start() async {
        for line in setup.notRun { logger.warning("\(line)") }
        fifos.open(setup.notifyFifos, scripts: scripts, logger: logger)
        if let update = startUpdate { process(update) }
        startUpdate = nil
        sizeFileLimit(for: plan.checkers.count)
        await engine.apply(plan.checkers)
        metrics?.publish(director.status())
        heartbeat.beat()
        logger.info("Starting lvsd: \(setup.virtualServers.count) virtual servers, \(plan.checkers.count) checkers")
        try? notifier.ready(status: "running")
    }

    /// Raises the open-file limit for `checkers` checkers before they open their sockets (the usual 1,024 runs out
    /// near a thousand TCP_CHECKs), as keepalived does.
    private func sizeFileLimit(for checkers: Int) {
        let required = FileLimit.required(checkers: checkers)
        let outcome = FileLimit.ensure(atLeast: required)
        if let failure = outcome.failure {
            logger.warning("cannot raise the open file limit to \(required) for \(checkers) checkers (\(failure)): it is \(outcome.soft); checks may fail with 'Too many open files'")
        } else {
            logger.debug("open file limit \(outcome.soft) (hard \(outcome.hard)) for \(checkers) checkers")
        }
    }

    /// Whether graceful shutdown has begun (from then on only the shutdown itself changes the kernel).
    public var isStopping: Bool { stopping }

    private func finish() async {
        stopping = true
        logger.info("Stopping lvsd")
        try? notifier.stopping()
        await engine.shutdown()
        let director = self.director
        if let update = await kernel.run({ director.shutdown() }) { process(update) }
        await kernel.shutdown()
        // The mails of the shutdown and of the services stopped before (VRRP): a bounded wait.
        await alerter?.flush(within: .seconds(5))
    }

    // MARK: - Checker verdicts

    /// Moves verdicts from the engine to ``pending`` as they come; ``processVerdicts()`` takes them in batches.
    private func consumeVerdicts() async {
        for await transition in engine.transitions {
            if Task.isCancelled { break }
            enqueue(transition)
        }
    }

    private func enqueue(_ transition: CheckTransition) {
        pending.append(transition)
        workAvailable.yield()
    }

    /// Feeds every pending verdict to the director in one call (one kernel batch), as long as there are any.
    private func processVerdicts() async {
        for await _ in work {
            if Task.isCancelled { break }
            await handlePending()
        }
    }

    /// Feeds the verdicts pending now to the director (one kernel batch). Exposed for tests.
    func handlePending() async {
        guard !pending.isEmpty, !stopping else { return }
        let batch = pending
        pending = []
        let pairs = batch.compactMap { transition -> (transition: CheckTransition, event: CheckerEvent)? in
            guard let route = plan.routes[transition.checker] else { return nil }
            return (transition, CheckerEvent(realServer: route.realServer, checker: route.checker,
                                             up: transition.state == .up, weight: transition.weight.map(Int64.init)))
        }
        guard !pairs.isEmpty else { return }
        let events = pairs.map(\.event)
        let director = self.director
        if let update = await kernel.run({ director.handle(events) }) {
            process(update)
            if let alerter, !update.checkerReports.isEmpty {
                for mail in alerts.mails(for: update.checkerReports, of: pairs, routerID: alerter.routerID) {
                    alerter.send(mail)
                }
            }
        }
    }

    // MARK: - Periodic work

    private func tickEverySecond() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: tickInterval)
            if Task.isCancelled { break }
            await tick()
        }
    }

    /// Periodic work: drains while any real server drains (they need the kernel's connection counts), and every
    /// ``driftRepairInterval`` ticks the repair of drift. Otherwise nothing: a steady director reads nothing from
    /// the kernel. Each tick beats the ``Heartbeat`` behind `/healthz` once its work is done.
    func tick() async {
        guard !stopping else { return }
        ticks += 1
        let director = self.director
        let repair = ticks % Self.driftRepairInterval == 0
        if repair || director.isDraining {
            if let update = await kernel.run({ director.tick(repairDrift: repair) }) { process(update) }
        }
        heartbeat.beat()
    }

    // MARK: - Configuration

    /// Checks the candidate's virtual servers without the kernel (every problem at once).
    public func check(_ candidate: ConfigurationCandidate) async -> [String] {
        if stopping { return ["lvsd is stopping"] }
        do throws(DirectorError) {
            try Director.check(candidate.setup.virtualServers)
            return []
        } catch {
            return ["\(error)"]
        }
    }

    /// Applies the candidate's virtual servers (only the difference, all or nothing in the kernel), then the
    /// checkers' difference.
    public func apply(_ candidate: ConfigurationCandidate) async throws(ReloadRefusal) {
        if stopping { throw ReloadRefusal(["lvsd is stopping"]) }
        let next = candidate.setup
        let director = self.director
        let specs = next.virtualServers
        guard let result = await kernel.run({ () -> Result<DirectorUpdate, DirectorError> in
            do throws(DirectorError) { return .success(try director.reload(specs)) } catch { return .failure(error) }
        }) else { throw ReloadRefusal(["lvsd is stopping"]) }
        switch result {
        case .failure(let error):
            throw ReloadRefusal(["\(error)"])
        case .success(let update):
            setup = next
            plan = next.checkerPlan()
            alerter?.configure(SMTPSettings(candidate.configuration.globalDefinitions))
            // The update concerns servers of both configurations (removed ones are mailed as removed).
            let nextAlerts = DirectorAlerts(setup: next, plan: plan)
            alerts = alerts.union(nextAlerts)
            published.set(next.virtualServers)
            configLoadedAt = Date()
            lastReload = ReloadStatus(at: Date(), result: .ok)
            metrics?.metrics.recordReload(.ok)
            if next.notifyFifos != fifos.specs { fifos.open(next.notifyFifos, scripts: scripts, logger: logger) }
            process(update)
            alerts = nextAlerts
            sizeFileLimit(for: plan.checkers.count)
            let summary = await engine.apply(plan.checkers)
            if let metrics {
                let status = director.status()
                metrics.keepOnly(status, checkers: Set(plan.checkers.map(\.id)))
                metrics.publish(status)
            }
            logger.info("Reload: checkers added \(summary.added.count), removed \(summary.removed.count), changed \(summary.changed.count), kept \(summary.kept.count)")
        }
    }

    /// Records a refused reload (a configuration error, another participant's refusal), for the status report and
    /// metrics.
    public func reloadRefused(_ reasons: [String]) async {
        lastReload = ReloadStatus(at: Date(), result: .refused, message: reasons.joined(separator: "; "))
        metrics?.metrics.recordReload(.refused)
    }

    // MARK: - Status

    /// What the status report needs from the director: its state, the specs, the checkers' status by real server.
    public func snapshot() async -> DirectorSnapshot {
        let checks = await engine.status()
        return DirectorSnapshot(status: director.status(), specs: setup.virtualServers, routes: plan.routes,
                                checks: checks, configLoadedAt: configLoadedAt, lastReload: lastReload)
    }

    // MARK: - Updates

    private func process(_ update: DirectorUpdate) {
        for action in update.actions {
            switch action {
            case .log(let level, let text):
                switch level {
                case .info: logger.info("\(text)")
                case .warning: logger.warning("\(text)")
                case .error: logger.error("\(text)")
                }
            case .runScript(let command):
                scripts.launch(command)
            case .realServerChanged, .quorumChanged, .quorumReport, .realServerCleared:
                break
            }
        }
        let alerts = self.alerts
        fifos.write(update.actions, name: { alerts.name(of: $0) }, logger: logger)
        if let alerter {
            for mail in alerts.mails(for: update.actions, routerID: alerter.routerID) { alerter.send(mail) }
        }
        metrics?.record(update)
    }
}
