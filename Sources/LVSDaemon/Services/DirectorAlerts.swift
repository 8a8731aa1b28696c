import Director
import HealthCheck
import SMTPAlert

/// The SMTP alerts of the director's changes, where and as keepalived sends them: a checker's mail when the
/// checker changes state (check_tcp.c, check_http.c, check_misc.c), a quorum mail (ipwrapper.c
/// `do_vs_notifies`), and a mail for an alive real server removed by a reload or at shutdown (`clear_service_rs`).
///
/// Which servers mail is ``Director/SMTPAlertTargets`` (`smtp_alert` resolved with keepalived's defaults);
/// whether mail goes anywhere is the ``SMTPAlert/MailAlerter``'s settings.
///
/// One difference: keepalived's MISC_CHECK also mails a first result that changes nothing (`succeeded` at start
/// for a server that starts alive); lvsd's checker engine reports changes only, so those mails are not sent.
struct DirectorAlerts: Sendable {
    /// The targets of the configuration (during a reload: of both configurations, the new one last).
    private var targets: [SMTPAlertTargets]
    /// The kind of each checker (its mail's wording).
    private var kinds: [HealthCheck.CheckerID: CheckKind]
    /// The server of each SMTP_CHECK (`[ip]:port`, named in its failure mail).
    private var smtpServers: [HealthCheck.CheckerID: (server: String, realServer: String)] = [:]

    /// The alerts of `setup`, with the checkers of its `plan`.
    init(setup: KeepalivedSetup, plan: KeepalivedSetup.CheckerPlan) {
        targets = [setup.smtpAlerts]
        var kinds: [HealthCheck.CheckerID: CheckKind] = [:]
        kinds.reserveCapacity(plan.checkers.count)
        for checker in plan.checkers {
            kinds[checker.id] = checker.spec.probe.kind
            if case .smtp(let check) = checker.spec.probe {
                smtpServers[checker.id] = (check.serverName, check.realServerName)
            }
        }
        self.kinds = kinds
    }

    /// These alerts and `other`'s (a reload's update concerns servers of both configurations).
    func union(_ other: DirectorAlerts) -> DirectorAlerts {
        var both = self
        both.targets += other.targets
        both.kinds.merge(other.kinds) { mine, _ in mine }
        both.smtpServers.merge(other.smtpServers) { mine, _ in mine }
        return both
    }

    private func wants(realServer id: RealServerID) -> Bool { targets.contains { $0.mails(realServer: id) } }
    private func wants(virtualServer id: VirtualServerID) -> Bool { targets.contains { $0.mails(virtualServer: id) } }
    private var noCheckerEmails: Bool { targets.last?.noCheckerEmails ?? false }
    func name(of id: RealServerID) -> String {
        (targets.first { $0.protocolNames[id.virtualServer] != nil } ?? targets.last)?.name(of: id) ?? "\(id.destination)"
    }

    /// The quorum mails and real-server removal mails of an update's actions.
    func mails(for actions: [DirectorAction], routerID: String) -> [AlertMail] {
        var mails: [AlertMail] = []
        for action in actions {
            switch action {
            case .quorumReport(let r) where wants(virtualServer: r.virtualServer):
                let event: QuorumAlert.Event = switch (r.cause, r.up) {
                case (.start, true): .startingUp
                case (.start, false): .startingDown
                case (.change, true): .gained
                case (.change, false): .lost
                case (.stopping, _): .shuttingDown
                }
                let change = QuorumAlert(event, quorum: r.quorum, hysteresis: r.hysteresis, threshold: r.threshold,
                                         weightSum: r.weightSum)
                mails.append(.virtualServer(r.virtualServer.description, change, routerID: routerID))
            case .realServerCleared(let id, let stopping) where wants(realServer: id):
                mails.append(.realServer(name(of: id), of: id.virtualServer.description, alive: false,
                                         stopping ? .shuttingDown : .removed, routerID: routerID))
            default:
                break
            }
        }
        return mails
    }

    /// The checkers' mails for a batch of verdicts: `batch` pairs each transition with the event made of it,
    /// `reports` is what the director did with those events (in the same order, unknown ones left out).
    ///
    /// A mail when the checker changed state and its real server mails, unless `no_checker_emails` is set and
    /// the real server's alive state did not change.
    func mails(for reports: [CheckerReport], of batch: [(transition: CheckTransition, event: CheckerEvent)],
               routerID: String) -> [AlertMail] {
        var mails: [AlertMail] = []
        var next = batch.startIndex
        for report in reports {
            while next < batch.endIndex && batch[next].event != report.event { next += 1 }
            guard next < batch.endIndex else { break }
            let transition = batch[next].transition
            next += 1
            guard report.checkerChanged, wants(realServer: report.event.realServer),
                  report.realServerWasAlive != report.realServerIsAlive || !noCheckerEmails,
                  let kind = kinds[transition.checker] else { continue }
            let up = report.checkerIsUp
            // keepalived's FILE_CHECK sends no mail.
            let alert: CheckerAlert? = switch kind {
            case .tcp: up ? .tcpSucceeded : .tcpFailed
            case .udp: up ? .udpSucceeded : .udpFailed
            case .dns: up ? .dnsSucceeded : .dnsFailed
            case .ping: up ? .pingSucceeded : .pingFailed
            case .smtp:
                if up { .httpSucceeded } else if case .smtp(let failure) = transition.failure,
                                                  let server = smtpServers[transition.checker] {
                    .httpFailed(reason: failure.keepalivedMessage(server: server.server, realServer: server.realServer))
                } else { .httpFailed(reason: "SMTP check failed") }
            case .file: nil
            case .http, .ssl: up ? .httpSucceeded : .httpFailed()
            case .misc:
                if up { .miscSucceeded } else if case .scriptTimeout = transition.failure { .miscTimedOut } else { .miscFailed }
            }
            guard let alert else { continue }
            mails.append(.realServer(transition.checker.realServer, of: transition.checker.virtualServer,
                                     alive: report.realServerIsAlive, alert, routerID: routerID))
        }
        return mails
    }
}
