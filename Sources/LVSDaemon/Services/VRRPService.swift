import KeepalivedConfig
import Logging
import ProgramRunner
import ServiceLifecycle
import SMTPAlert
import VRRP
import VRRPNetwork
import VRRPRuntime

/// VRRP: the `vrrp_instance`s of the configuration, elected, advertised and failed over with keepalived's
/// behaviour on the wire (``VRRPEngine``). One more ``ConfigurationParticipant``: a reload's VRRP part is planned
/// (and refused with its reasons) before anything applies, then applied without touching instances it leaves
/// unchanged.
///
/// Started after the director (the table is in before any VIP is taken) and so stopped before it: on TERM every
/// MASTER sends priority 0 and releases its VIPs while the table still serves. With no VRRP in the configuration
/// nothing is opened until a reload brings some.
public actor VRRPService: ServiceLifecycle.Service, ConfigurationParticipant {
    public nonisolated let participantName = "vrrp"
    private var plan: VRRPPlan
    private var engine: VRRPEngine?
    private var stopping = false
    private let runner: ProgramRunner
    private let logger: Logger
    private let networkNamespace: String?
    private let alerter: MailAlerter?

    /// Creates the service for a configuration's VRRP part.
    /// - Throws: ``ReloadRefusal`` with every reason the VRRP part cannot run.
    /// - Parameter alerter: sends the `smtp_alert` mails (keepalived's VRRP subjects and bodies).
    public init(configuration: KeepalivedConfiguration, runner: ProgramRunner, logger: Logger,
                alerter: MailAlerter? = nil, networkNamespace: String? = nil) throws(ReloadRefusal) {
        self.alerter = alerter
        switch VRRPPlanBuilder.plan(configuration) {
        case .success(let p): plan = p
        case .failure(let problem): throw ReloadRefusal(problem.description.split(separator: "\n").map(String.init))
        }
        self.runner = runner
        self.logger = logger
        self.networkNamespace = networkNamespace
    }

    /// Runs the instances until graceful shutdown, then stops them as keepalived does.
    public func run() async {
        if !plan.isEmpty { await startEngine() }
        try? await gracefulShutdown()
        stopping = true
        await engine?.stop()
    }

    private func startEngine() async {
        do throws(NetworkError) {
            var mail: (@Sendable (String, String, VRRPMailEvent) -> Void)?
            if let alerter { mail = Self.mailer(alerter) }
            let e = try VRRPEngine(plan: plan, runner: runner, logger: logger, networkNamespace: networkNamespace,
                                   mail: mail)
            engine = e
            await e.start()
        } catch {
            logger.error("VRRP cannot start: \(error)")
        }
    }

    /// keepalived's VRRP alert mails through `alerter`: `INSTANCE` or `GROUP`, the name, the event.
    static func mailer(_ alerter: MailAlerter) -> @Sendable (String, String, VRRPMailEvent) -> Void {
        { kind, name, event in
            let s: VRRPAlertState
            switch event {
            case .entered(.master): s = .master
            case .entered(.backup): s = .backup
            case .entered(.fault): s = .fault
            case .entered(.initialize), .stopping: s = .stopping
            case .deleted: s = .deleted
            }
            if kind == "GROUP" {
                if let m = AlertMail.vrrpGroup(name, s, routerID: alerter.routerID) { alerter.send(m) }
            } else {
                alerter.send(AlertMail.vrrpInstance(name, s, routerID: alerter.routerID))
            }
        }
    }

    /// The instances now (empty without VRRP).
    public func status() async -> [InstanceStatus] {
        await engine?.status() ?? []
    }

    public func check(_ candidate: ConfigurationCandidate) async -> [String] {
        switch VRRPPlanBuilder.plan(candidate.configuration) {
        case .success: []
        case .failure(let problem): problem.description.split(separator: "\n").map(String.init)
        }
    }

    public func apply(_ candidate: ConfigurationCandidate) async throws(ReloadRefusal) {
        guard !stopping else { throw ReloadRefusal(["lvsd is stopping"]) }
        let new: VRRPPlan
        switch VRRPPlanBuilder.plan(candidate.configuration) {
        case .success(let p): new = p
        case .failure(let problem): throw ReloadRefusal(problem.description.split(separator: "\n").map(String.init))
        }
        plan = new
        if let engine {
            await engine.apply(new)
        } else if !new.isEmpty {
            await startEngine()
        }
    }
}
