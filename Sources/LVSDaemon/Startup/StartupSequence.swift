import Director
import IPVSKit
import KeepalivedConfig
import Logging

/// What lvsd has done before any of its services start: the kernel table programmed.
public struct ProgrammedDirector: @unchecked Sendable {
    // @unchecked: made on the main thread and handed once to ``LvsdDaemon/run(_:)``; the main thread does not
    // touch it afterwards (``SignalSource`` holds Dispatch sources).
    /// The options lvsd runs with.
    public let options: LvsdOptions
    /// The configuration that programmed the table.
    public let candidate: ConfigurationCandidate
    /// The logger.
    public let logger: Logger
    /// Signals, caught since before the configuration was read.
    public let signals: SignalSource
    /// The director, started.
    public let director: Director
    /// What ``Director/start(_:now:)`` did.
    public let update: DirectorUpdate
    /// The IPVS sysctls set from `global_defs`, as read back (name under `net.ipv4.vs.` → value).
    public var sysctls: [String: Int] = [:]
}

/// lvsd's start-up guarantee: the IPVS table is programmed right after the configuration is parsed, on the
/// calling (main) thread, before the checkers, metrics, control socket or any other service starts.
public enum StartupSequence {
    /// Programs the kernel table from a parsed, error-free configuration. `prepared` brings the signal handling
    /// and the netlink socket, made on another core while the configuration was read. `configReadAt`: when the
    /// configuration was read, in ``StartupClock`` milliseconds (for the start-up log line). Returns nil, having
    /// logged why, when the table cannot be programmed.
    public static func programTable(options: LvsdOptions, file: String, configuration: KeepalivedConfiguration,
                                    prepared: StartupPreparation, configReadAt: Int, logger: Logger) -> ProgrammedDirector? {
        let (signals, connection) = prepared.wait()
        let preparedAt = StartupClock.milliseconds()
        // -P runs VRRP alone, as keepalived's does: the IPVS table is neither read nor changed, and a kernel
        // without IPVS will do (a VRRP pair of web servers needs no ip_vs module).
        let ipvs: any IPVSTableAccess
        switch (connection, options.subsystems) {
        case (_, .vrrp):
            ipvs = NoIPVSTable()
        case (.success(let client), _):
            ipvs = client
        case (.failure(let error), _):
            logger.error("\(error)")
            return nil
        }
        let setup = KeepalivedSetup(configuration: configuration)
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
        var sysctls: [String: Int] = [:]
        if options.subsystems != .vrrp {
            let applied = DirectorSysctlWriter.apply(configuration.globalDefinitions.directorSysctls)
            for failure in applied.failures { logger.error("\(failure)") }
            for (name, value) in applied.values.sorted(by: { $0.key < $1.key }) { logger.info("net.ipv4.vs.\(name) = \(value)") }
            sysctls = applied.values
        }
        var programmed = ProgrammedDirector(options: options,
                                            candidate: ConfigurationCandidate(file: file, configuration: configuration, setup: setup),
                                            logger: logger, signals: signals, director: director, update: update)
        programmed.sysctls = sysctls
        return programmed
    }
}

extension StartupSequence {
    /// Runs lvsd as the command line asks (not `-t`): reads the configuration, then either starts the detached
    /// copy (without `-n`) or programs the table and runs the services. Returns the exit status.
    public static func launch(_ options: LvsdOptions, logger: Logger) async -> Int32 {
        // In the foreground (or the detached child), signals and the netlink socket are set up on another core
        // while this thread reads the configuration.
        let prepared = options.dontFork ? StartupPreparation() : nil
        let result = ConfigurationReader.parse(file: options.configFile)
        let configReadAt = StartupClock.milliseconds()
        for diagnostic in result.diagnostics { StandardStreams.errorLine(diagnostic.formatted()) }
        if result.hasErrors {
            StandardStreams.errorLine("lvsd: \(options.configFile): configuration has errors; not starting")
            for diagnostic in result.errors { logger.error("\(diagnostic.description)") }
            return 1
        }
        guard let prepared else {
            return Daemonizer.detach(keepStandardError: options.logConsole)
        }
        // The table is programmed here, on this (the main) thread, before any service starts.
        guard let programmed = programTable(options: options, file: options.configFile,
                                            configuration: options.subsystems.restrict(result.configuration),
                                            prepared: prepared, configReadAt: configReadAt, logger: logger) else {
            return 1
        }
        return await LvsdDaemon.run(programmed)
    }
}
