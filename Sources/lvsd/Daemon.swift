import Director
import Foundation
import Synchronization
import HealthCheck
import IPVSKit
import KeepalivedConfig
import Logging
import Observability

/// The running director: the config's virtual servers in the kernel, kept in step with the health checkers.
///
/// Data flow: keepalived.conf → ``KeepalivedSetup`` → ``Director`` (desired table → kernel) and ``CheckEngine``
/// (probes → ``CheckTransition`` → ``CheckerEvent`` → ``Director``). Every ``DirectorUpdate`` is logged and its
/// scripts run here; nothing else in lvsd touches the kernel.
///
/// The director has programmed the kernel before this is made (see ``programTable(options:config:prepared:configReadAt:)``):
/// the checkers, their event loop and the metrics are built after the table is in place, not before.
actor DirectorDaemon {
    let options: LvsdOptions
    let logger: Logger
    let director: Director
    let engine: CheckEngine
    let scripts: ScriptRunner
    let ipvs: IPVSClient
    /// The Prometheus metrics, kept only when an endpoint serves them (`--metrics-address`, `lvsd_metrics_address`).
    let metrics: LvsdMetrics?
    /// Each check's latency histogram (with `metrics`).
    let recorders: CheckRecorderCache?
    let notifier = SystemdNotifier()
    let startedAt = Date()
    private(set) var configLoadedAt = Date()
    private(set) var lastReload: ReloadStatus?
    private(set) var setup: KeepalivedSetup
    /// The checker engine's configuration for `setup`, and where each checker's verdicts go.
    private(set) var plan: KeepalivedSetup.CheckerPlan
    /// The virtual servers as last applied, readable without entering the actor (for metrics scrapes).
    let published: PublishedSpecs
    private var ticks = 0

    /// Creates the daemon around a director that has already started (``Director/start(_:now:)``) with `setup`.
    init(options: LvsdOptions, configuration: KeepalivedConfiguration, setup: KeepalivedSetup, director: Director,
         ipvs: IPVSClient, logger: Logger) {
        self.options = options
        self.logger = logger
        self.ipvs = ipvs
        self.director = director
        self.setup = setup
        plan = setup.checkerPlan()
        let metrics = (options.metricsAddress ?? configuration.globalDefinitions.metricsAddress) == nil
            ? nil : LvsdMetrics(version: lvsdVersion)
        self.metrics = metrics
        published = PublishedSpecs(setup.virtualServers)
        var prober = NIOCheckProber()
        if let ssl = configuration.ssl {
            do {
                let contexts = try TLSContexts.load(certificateFile: ssl.certificateFile, keyFile: ssl.keyFile,
                                                    password: ssl.password, caFile: ssl.caFile)
                prober = NIOCheckProber(tls: contexts)
            } catch {
                logger.error("SSL: cannot load the global SSL context (\(ssl.location)): \(error); SSL_GET uses no client certificate")
            }
        }
        // 10 ms timer slack: checks due together start together (fewer wake-ups; see CheckEngine.init).
        // Each check's histograms are looked up when its subscribers change, not per result.
        let recorders = metrics.map { CheckRecorderCache(metrics: $0) }
        self.recorders = recorders
        var observer: (@Sendable ([HealthCheck.CheckerID]) -> @Sendable (ProbeResult) -> Void)?
        if let recorders {
            observer = { checkers in
                let chosen = checkers.map { recorders.recorder(for: $0) }
                return { result in for recorder in chosen { recorder.record(result.latency) } }
            }
        }
        engine = CheckEngine(prober: prober, probeObserver: observer, logger: logger, timerSlack: .milliseconds(10))
        scripts = ScriptRunner(logger: logger)
    }

    /// Reports what the director's start did (`update`, from ``Director/start(_:now:)``) and starts the checkers.
    func start(programmed update: DirectorUpdate) async {
        for line in setup.notRun { logger.warning("\(line)") }
        process(update)
        _ = await engine.apply(plan.checkers)
        publishStates()
        logger.info("Starting lvsd: \(setup.virtualServers.count) virtual servers, \(plan.checkers.count) checkers")
    }

    /// Feeds one checker verdict to the director.
    func handle(_ transition: CheckTransition) {
        guard let route = plan.routes[transition.checker] else { return }
        let event = CheckerEvent(realServer: route.realServer, checker: route.checker, up: transition.state == .up,
                                 weight: transition.weight.map(Int64.init))
        process(director.handle(event))
    }

    /// Seconds between two repairs of hand edits to managed entries (each reads the whole kernel table).
    static let driftRepairInterval = 30

    /// Periodic work, once a second: drains while any real server drains (they need the kernel's connection
    /// counts), and every ``driftRepairInterval`` seconds the repair of drift. Otherwise nothing: a steady
    /// director reads nothing from the kernel.
    func tick() {
        ticks += 1
        if ticks % Self.driftRepairInterval == 0 {
            process(director.tick(repairDrift: true))
        } else if director.isDraining {
            process(director.tick(repairDrift: false))
        }
    }

    /// SIGHUP: re-reads the configuration; a configuration with errors is refused whole and nothing of it applied.
    func reload() async {
        logger.info("Reloading lvsd from \(options.configFile)")
        let result = KeepalivedConfigParser.parse(file: options.configFile)
        for d in result.diagnostics { logger.log(level: d.severity == .error ? .error : .warning, "\(d.formatted())") }
        try? notifier.reloading()
        defer { try? notifier.ready(status: "running") }
        guard !result.hasErrors else {
            logger.error("Reload refused: \(options.configFile) has errors; the running configuration is unchanged")
            refused("\(result.errors.count) configuration errors")
            return
        }
        let next = KeepalivedSetup(configuration: result.configuration)
        do throws(DirectorError) {
            let update = try director.reload(next.virtualServers)
            setup = next
            plan = next.checkerPlan()
            published.set(next.virtualServers)
            configLoadedAt = Date()
            lastReload = ReloadStatus(at: Date(), result: .ok)
            metrics?.recordReload(.ok)
            process(update)
            let summary = await engine.apply(plan.checkers)
            pruneMetrics()
            publishStates()
            logger.info("Reload done: checkers added \(summary.added.count), removed \(summary.removed.count), changed \(summary.changed.count), kept \(summary.kept.count)")
        } catch {
            logger.error("Reload refused: \(error); the running configuration is unchanged")
            refused("\(error)")
        }
    }

    /// Sets every real server's up/down gauge and every quorum gauge from the director's state (transitions keep
    /// them current afterwards).
    private func publishStates() {
        guard let metrics else { return }
        for vs in director.status() {
            metrics.setQuorum(virtualServer: vs.id.description, up: vs.quorumUp)
            for rs in vs.realServers {
                metrics.setRealServer(virtualServer: vs.id.description, realServer: rs.id.destination.description, up: rs.alive)
            }
        }
    }

    /// Removes the series of what the reload took out of the configuration (real servers, checks, virtual servers).
    private func pruneMetrics() {
        guard let metrics, let recorders else { return }
        let status = director.status()
        let checks = recorders.keepOnly(Set(plan.checkers.map(\.id)))
        metrics.keepOnly(virtualServers: Set(status.map { $0.id.description }),
                         realServers: status.flatMap { vs in vs.realServers.map { (vs.id.description, $0.id.destination.description) } },
                         checks: checks)
    }

    private func refused(_ why: String) {
        lastReload = ReloadStatus(at: Date(), result: .refused, message: why)
        metrics?.recordReload(.refused)
    }

    /// SIGTERM: stops the checkers and removes from the kernel what lvsd added, as keepalived does.
    func shutdown() async {
        logger.info("Stopping lvsd")
        try? notifier.stopping()
        await engine.shutdown()
        process(director.shutdown())
    }

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
                scripts.run(command)
            case .realServerChanged(let id, let up):
                guard metrics != nil else { continue }
                let vs = id.virtualServer.description, rs = id.destination.description
                metrics?.setRealServer(virtualServer: vs, realServer: rs, up: up)
                metrics?.recordTransition(virtualServer: vs, realServer: rs, direction: up ? .up : .down)
            case .quorumChanged(let id, let up):
                metrics?.setQuorum(virtualServer: id.description, up: up)
            }
        }
    }
}

/// What lvsd has done before any of its threads or event loops start: the kernel table programmed.
struct ProgrammedDirector: @unchecked Sendable {
    // @unchecked: handed once from the main thread to ``runDaemon(_:)`` and not touched by the main thread after.
    let options: LvsdOptions
    let config: KeepalivedConfiguration
    let logger: Logger
    let signals: SignalSource
    let ipvs: IPVSClient
    let setup: KeepalivedSetup
    let director: Director
    /// What ``Director/start(_:now:)`` did.
    let update: DirectorUpdate
}

/// Programs the kernel table from a parsed, error-free configuration, synchronously on the calling thread (the
/// main thread: no other work is done before the table is in). `prepared` brings the signal handling and the netlink
/// socket, made on another core while the configuration was read. `configReadAt`: when the configuration was read,
/// in ``StartupClock`` milliseconds (for the start-up log line). Returns nil, having logged why, when the table
/// cannot be programmed.
func programTable(options: LvsdOptions, config: KeepalivedConfiguration, prepared: StartupPreparation,
                  configReadAt: Int) -> ProgrammedDirector? {
    var logger = Logger(label: "lvsd") { _ in ConsoleLogHandler(detail: options.logDetail) }
    logger.logLevel = options.logDetail ? .debug : .info
    let (signals, connection) = prepared.wait()
    let preparedAt = StartupClock.milliseconds()
    let ipvs: IPVSClient
    switch connection {
    case .success(let client):
        ipvs = client
    case .failure(let error):
        logger.error("\(error)")
        return nil
    }
    let setup = KeepalivedSetup(configuration: config)
    let setupAt = StartupClock.milliseconds()
    let director = Director(kernel: ipvs)
    let update: DirectorUpdate
    do throws(DirectorError) {
        update = try director.start(setup.virtualServers)
        // With -D: where the start-up time went.
        logger.debug("Start-up: signal handling and netlink socket ready at \(preparedAt) ms, virtual-server specs at \(setupAt) ms, \(update.operations.count) IPVS operations applied at \(StartupClock.milliseconds()) ms")
    } catch {
        logger.error("cannot start: \(error)")
        return nil
    }
    logger.info("IPVS table programmed \(StartupClock.milliseconds()) ms after start (configuration read at \(configReadAt) ms)")
    return ProgrammedDirector(options: options, config: config, logger: logger, signals: signals, ipvs: ipvs,
                              setup: setup, director: director, update: update)
}

/// Runs the director whose table ``programTable(options:config:prepared:configReadAt:)`` programmed until SIGTERM; returns
/// the exit status.
func runDaemon(_ programmed: ProgrammedDirector) async -> Int32 {
    let options = programmed.options, config = programmed.config, logger = programmed.logger
    let signals = programmed.signals, ipvs = programmed.ipvs
    let pidFile = PidFile(path: options.pidFile ?? "/run/lvsd.pid")
    if let problem = pidFile.create() { logger.warning("cannot write pid file \(pidFile.path): \(problem)") }
    defer { pidFile.remove() }

    let daemon = DirectorDaemon(options: options, configuration: config, setup: programmed.setup,
                                director: programmed.director, ipvs: ipvs, logger: logger)
    await daemon.start(programmed: programmed.update)
    let metricsServer = await startMetricsServer(options: options, config: config, daemon: daemon, ipvs: ipvs, logger: logger)
    let control = ControlServer(configuration: .init(path: options.controlSocket), logger: logger) { request in
        switch request {
        case .status(let format):
            let report = await daemon.statusReport()
            return ControlReply(status: .ok, body: format == .json ? report.renderJSON() : report.renderText())
        case .reload:
            await daemon.reload()
            return ControlReply(status: .ok, body: "reloaded\n")
        case .help:
            return ControlReply(status: .ok, body: "status [json] | reload\n")
        }
    }
    do throws(ControlServerError) { try await control.start() } catch {
        logger.warning("control socket: \(error); 'lvsd status' will not work")
    }
    try? daemon.notifier.ready(status: "running")
    let transitions = Task {
        for await transition in daemon.engine.transitions {
            await daemon.handle(transition)
        }
    }
    let ticker = Task {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { break }
            await daemon.tick()
        }
    }
    for await signal in signals.signals {
        switch signal {
        case .reload:
            await daemon.reload()
        case .dumpStatus:
            for line in await daemon.statusReport().renderText().split(separator: "\n") { logger.info("\(line)") }
        case .stop:
            ticker.cancel()
            await daemon.shutdown()
            transitions.cancel()
            await control.stop()
            await metricsServer?.stop()
            return 0
        }
    }
    return 0
}

/// Starts the Prometheus endpoint when `--metrics-address` or `lvsd_metrics_address` asks for one.
func startMetricsServer(options: LvsdOptions, config: KeepalivedConfiguration, daemon: DirectorDaemon, ipvs: IPVSClient,
                        logger: Logger) async -> MetricsServer? {
    guard let address = options.metricsAddress ?? config.globalDefinitions.metricsAddress,
          let metrics = daemon.metrics else { return nil }
    let published = daemon.published
    let host = address.address.description
    let server = MetricsServer(configuration: MetricsServerConfiguration(host: host, port: Int(address.port)), logger: logger,
                               render: {
        refreshKernelMetrics(metrics, ipvs: ipvs, managed: { published.get() })
        return metrics.render()
    })
    do {
        let bound = try await server.start()
        logger.info("Serving Prometheus metrics on http://\(bound)/metrics")
        return server
    } catch {
        logger.error("metrics endpoint \(address): \(error)")
        return nil
    }
}

/// Runs a sub-command (`genhash`, `status`); returns the process exit status.
func runSubcommand(_ name: String, arguments: [String]) async -> Int32 {
    switch name {
    case "genhash":
        do throws(GenhashUsageError) {
            let options = try GenhashOptions.parse(arguments)
            let (output, status) = await options.run()
            if status == 0 { print(output, terminator: "") } else { printError(output.hasSuffix("\n") ? String(output.dropLast()) : output) }
            return status
        } catch {
            printError("lvsd genhash: \(error)")
            printError(GenhashOptions.usage)
            return 1
        }
    case "status":
        var json = false
        var path = ControlServer.defaultPath
        var rest = arguments[...]
        while let a = rest.popFirst() {
            switch a {
            case "--json", "-j": json = true
            case "--socket", "-s":
                guard let p = rest.popFirst() else { printError("lvsd status: --socket needs a path"); return 2 }
                path = p
            default:
                printError("lvsd status: unknown argument '\(a)' (usage: lvsd status [--json] [--socket PATH])")
                return 2
            }
        }
        do throws(ControlClientError) {
            let reply = try await ControlClient.send(.status(json ? .json : .text), path: path)
            if reply.isSuccess { print(reply.body, terminator: "") } else { printError("lvsd status: \(reply.body)") }
            return reply.isSuccess ? 0 : 1
        } catch {
            printError("lvsd status: \(error)")
            return 1
        }
    default:
        printError("lvsd: unknown sub-command '\(name)'")
        return 1
    }
}

/// The applied virtual servers, shared with the metrics endpoint's render closure (which runs off the actor).
final class PublishedSpecs: Sendable {
    private let value: Mutex<[VirtualServerSpec]>
    init(_ specs: [VirtualServerSpec]) { value = Mutex(specs) }
    func get() -> [VirtualServerSpec] { value.withLock { $0 } }
    func set(_ specs: [VirtualServerSpec]) { value.withLock { $0 = specs } }
}
