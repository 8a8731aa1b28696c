import Director
import Foundation
import HealthCheck
import KeepalivedConfig
import Logging
import Observability
import ProgramRunner
import ServiceLifecycle
import SMTPAlert

/// lvsd as a set of services, each owning one job, run by one `ServiceGroup`:
///
/// | order | service | job |
/// | --- | --- | --- |
/// | 1 | ``DirectorService`` | the IPVS table and the health checkers |
/// | 2 | ``AnnounceService`` | `announce` virtual servers' VIPs on the announce interface (ECMP director tier) |
/// | 2 | ``VRRPService`` | VRRP instances: elections, adverts, VIPs, tracking, notifies |
/// | 3 | ``ConfigurationService`` | the running configuration and transactional reloads |
/// | 4 | ``MetricsService`` | `/metrics` and `/healthz` (when an address is configured) |
/// | 5 | ``ControlService`` | the control socket (`lvsd status`, `lvsd reload`) |
/// | 6 | ``SignalService`` | HUP, USR1, TERM and INT |
///
/// They start in that order and shut down gracefully in the reverse one: the intake (signals, control socket,
/// metrics) stops first, then reloads, then VRRP (masters resign while the table still serves), and the director
/// last, so nothing reaches the kernel once it is stopping.
/// Services exchange requests through ``ReloadRequests`` and closures given at composition, not references to one
/// another: a further service (VRRP) joins as one more ``ConfigurationParticipant`` and one more entry here.
public enum LvsdDaemon {
    /// Runs the director whose table ``StartupSequence/programTable(options:file:configuration:prepared:configReadAt:logger:)``
    /// programmed until TERM or INT; returns the exit status.
    public static func run(_ programmed: ProgrammedDirector) async -> Int32 {
        let options = programmed.options, logger = programmed.logger
        let configuration = programmed.candidate.configuration
        let pidFile = PidFile(path: options.pidFile ?? "/run/lvsd.pid")
        if let problem = pidFile.create() { logger.warning("cannot write pid file \(pidFile.path): \(problem)") }
        defer { pidFile.remove() }

        let metricsAddress = options.metricsAddress ?? configuration.globalDefinitions.metricsAddress
        let metrics = metricsAddress.map { _ in DirectorMetrics(LvsdMetrics(version: LvsdCommand.versionText)) }
        let heartbeat = Heartbeat()
        let published = PublishedSpecs(programmed.candidate.setup.virtualServers)
        let g = configuration.globalDefinitions
        // The one way lvsd runs programs: MISC_CHECK, notify and quorum scripts. Without script_user, scripts run
        // as keepalived_script when that user exists, as keepalived runs them.
        let runner = ProgramRunner(
            scriptSecurity: g.enableScriptSecurity,
            defaultUser: ScriptAudit.defaultUser(configured: g.scriptUser, keepalivedScriptUser: ProgramRunner.keepalivedScriptUser),
            defaultGroup: g.scriptGroup)
        ScriptAudit.log(configuration, runner: runner, to: logger)
        let alerter = MailAlerter(g, logger: logger)  // SMTP alerts: the checkers' and VRRP's
        let engine = CheckEngine(prober: prober(for: configuration, runner: runner, logger: logger),
                                 probeObserver: metrics?.probeObserver, logger: logger, timerSlack: .milliseconds(10))
        let director = DirectorService(director: programmed.director, setup: programmed.candidate.setup,
                                       started: programmed.update, engine: engine,
                                       scripts: ScriptRunner(runner: runner, logger: logger),
                                       metrics: metrics, heartbeat: heartbeat, published: published, logger: logger,
                                       alerter: alerter)
        let vrrp: VRRPService
        do throws(ReloadRefusal) {
            vrrp = try VRRPService(configuration: configuration, runner: runner, logger: logger, alerter: alerter)
        } catch {
            for reason in error.reasons { logger.error("VRRP: \(reason)") }
            return 1
        }
        let announce: AnnounceService?
        // The director holds its lock during kernel batches: its quorum is read on a thread of the announcer's own.
        let quorumReader = WorkerThread(name: "lvsd-announce")
        do throws(AnnounceError) {
            let directorCore = programmed.director
            announce = AnnounceService(setup: programmed.candidate.setup, interface: g.announceInterface,
                                       network: try NetlinkAnnounceNetwork(),
                                       quorum: { await quorumReader.run { directorCore.quorumStates() } },
                                       logger: logger)
        } catch {
            logger.error("announce: \(error); nothing is announced")
            announce = nil
        }
        let reloads = ReloadRequests()
        var participants: [any ConfigurationParticipant] = [director]
        if let announce { participants.append(announce) }
        participants.append(vrrp)
        let configurationService = ConfigurationService(current: programmed.candidate, participants: participants,
                                                        requests: reloads, logger: logger,
                                                        read: { file in
                                                            var result = ConfigurationReader.parse(file: file)
                                                            result.configuration = options.subsystems.restrict(result.configuration)
                                                            return result
                                                        },
                                                        audit: { ScriptAudit.log($0, runner: runner, to: logger) })
        let kernel = KernelReader()
        let status = DaemonStatus(director: director, kernel: kernel, configFile: options.configFile, vrrp: vrrp,
                                  announce: announce, sysctls: programmed.sysctls)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: director),
        ]
        if let announce { services.append(.init(service: announce)) }
        services += [
            .init(service: vrrp),
            .init(service: configurationService),
        ]
        if let metrics, let address = metricsAddress {
            services.append(.init(service: MetricsService(
                host: address.address.description, port: Int(address.port), logger: logger, heartbeat: heartbeat,
                render: {
                    let table = await kernel.table()
                    if let table { metrics.refresh(from: table, managed: published.get()) }
                    return metrics.metrics.render() + StatusMapping.vrrpMetrics(await vrrp.status())
                        + StatusMapping.directorTierMetrics(table: table, managed: published.get(), announce: await announce?.report())
                })))
        }
        services.append(.init(service: ControlService(path: options.controlSocket, logger: logger,
                                                      status: { await status.render($0) }, reloads: reloads,
                                                      drain: announce.map { DirectorDrain(announce: $0, kernel: kernel) })))
        services.append(.init(service: SignalService(signals: programmed.signals.signals, reloads: reloads, logger: logger,
                                                     status: { await status.render(.text) }),
                              successTerminationBehavior: .gracefullyShutdownGroup))
        var groupLogger = logger
        groupLogger.logLevel = .notice
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: groupLogger))
        do {
            try await group.run()
        } catch {
            logger.error("lvsd stopped on an error: \(error)")
            await kernel.shutdown()
            await quorumReader.shutdown()
            return 1
        }
        await kernel.shutdown()
        await quorumReader.shutdown()
        return 0
    }

    /// The checkers' prober, with the global SSL context when the configuration gives one.
    static func prober(for configuration: KeepalivedConfiguration, runner: ProgramRunner, logger: Logger) -> NIOCheckProber {
        guard let ssl = configuration.ssl else { return NIOCheckProber(runner: runner) }
        do {
            let contexts = try TLSContexts.load(certificateFile: ssl.certificateFile, keyFile: ssl.keyFile,
                                                password: ssl.password, caFile: ssl.caFile)
            return NIOCheckProber(tls: contexts, runner: runner)
        } catch {
            logger.error("SSL: cannot load the global SSL context (\(ssl.location)): \(error); SSL_GET uses no client certificate")
            return NIOCheckProber(runner: runner)
        }
    }
}
