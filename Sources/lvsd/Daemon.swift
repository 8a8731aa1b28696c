import Director
import Foundation
import HealthCheck
import IPVSKit
import KeepalivedConfig
import Logging

/// The running director: the config's virtual servers in the kernel, kept in step with the health checkers.
///
/// Data flow: keepalived.conf → ``KeepalivedSetup`` → ``Director`` (desired table → kernel) and ``CheckEngine``
/// (probes → ``CheckTransition`` → ``CheckerEvent`` → ``Director``). Every ``DirectorUpdate`` is logged and its
/// scripts run here; nothing else in lvsd touches the kernel.
actor DirectorDaemon {
    let options: LvsdOptions
    let logger: Logger
    let director: Director
    let engine: CheckEngine
    let scripts: ScriptRunner
    private(set) var setup: KeepalivedSetup
    private var ticks = 0

    init(options: LvsdOptions, configuration: KeepalivedConfiguration, ipvs: IPVSClient, logger: Logger) {
        self.options = options
        self.logger = logger
        director = Director(kernel: ipvs)
        setup = KeepalivedSetup(configuration: configuration)
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
        engine = CheckEngine(prober: prober, logger: logger, timerSlack: .milliseconds(10))
        scripts = ScriptRunner(logger: logger)
    }

    /// Adopts what the kernel already has, programs the rest, and starts the checkers.
    func start() async throws(DirectorError) {
        for line in setup.notRun { logger.warning("\(line)") }
        let update = try director.start(setup.virtualServers)
        process(update)
        _ = await engine.apply(setup.checkers)
        logger.info("Starting lvsd: \(setup.virtualServers.count) virtual servers, \(setup.checkers.count) checkers")
    }

    /// Feeds one checker verdict to the director.
    func handle(_ transition: CheckTransition) {
        guard let route = setup.routes[transition.checker] else { return }
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
        guard !result.hasErrors else {
            logger.error("Reload refused: \(options.configFile) has errors; the running configuration is unchanged")
            return
        }
        let next = KeepalivedSetup(configuration: result.configuration)
        do throws(DirectorError) {
            let update = try director.reload(next.virtualServers)
            setup = next
            process(update)
            let summary = await engine.apply(next.checkers)
            logger.info("Reload done: checkers added \(summary.added.count), removed \(summary.removed.count), changed \(summary.changed.count), kept \(summary.kept.count)")
        } catch {
            logger.error("Reload refused: \(error); the running configuration is unchanged")
        }
    }

    /// SIGTERM: stops the checkers and removes from the kernel what lvsd added, as keepalived does.
    func shutdown() async {
        logger.info("Stopping lvsd")
        await engine.shutdown()
        process(director.shutdown())
    }

    /// SIGUSR1: the state of every virtual and real server.
    func statusLines() -> [String] {
        var lines: [String] = []
        for vs in director.status() {
            lines.append("VS \(vs.id): quorum \(vs.quorumUp ? "up" : "down"), live weight \(vs.liveWeight)\(vs.sorryServerActive ? ", sorry server active" : "")")
            for rs in vs.realServers {
                let weight = rs.tableWeight.map { "weight \($0)" } ?? "not in table"
                lines.append("  RS [\(rs.id.destination.address)]:\(rs.id.destination.port) \(rs.alive ? "alive" : "down"), \(weight)")
            }
            for d in vs.draining { lines.append("  draining \(d)") }
        }
        return lines
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
            case .realServerChanged, .quorumChanged:
                break
            }
        }
    }
}

/// Runs the director with a parsed, error-free configuration until SIGTERM; returns the exit status.
func runDaemon(options: LvsdOptions, config: KeepalivedConfiguration) async -> Int32 {
    if !options.dontFork {
        return Daemonizer.detach()
    }
    var logger = Logger(label: "lvsd") { _ in ConsoleLogHandler(detail: options.logDetail) }
    logger.logLevel = options.logDetail ? .debug : .info
    let signals = SignalSource()

    let ipvs: IPVSClient
    do {
        ipvs = try IPVSClient()
    } catch {
        logger.error("\(error)")
        return 1
    }
    let pidFile = options.pidFile ?? "/run/lvsd.pid"
    if !FileManager.default.createFile(atPath: pidFile, contents: Data("\(getpid())\n".utf8)) {
        logger.warning("cannot write pid file \(pidFile)")
    }
    defer { try? FileManager.default.removeItem(atPath: pidFile) }

    let daemon = DirectorDaemon(options: options, configuration: config, ipvs: ipvs, logger: logger)
    do throws(DirectorError) {
        try await daemon.start()
    } catch {
        logger.error("cannot start: \(error)")
        return 1
    }
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
            for line in await daemon.statusLines() { logger.info("\(line)") }
        case .stop:
            ticker.cancel()
            await daemon.shutdown()
            transitions.cancel()
            return 0
        }
    }
    return 0
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
    default:
        printError("lvsd: '\(name)' not implemented yet")
        return 1
    }
}
