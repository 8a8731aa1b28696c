import KeepalivedConfig

/// Which virtual and real servers keepalived would send SMTP alerts for, with what it needs to name them.
///
/// keepalived's defaults (check_data.c): a virtual server's `smtp_alert` (quorum mails) defaults to the global
/// `smtp_alert_checker`, else the global `smtp_alert`, else off; a real server's (checker mails) to the same
/// globals, else **on**. A real server does not inherit its virtual server's setting. Whether mail can be sent
/// at all (`smtp_server`, `notification_email`) is the alerter's business.
///
/// Real servers are kept as the default plus the exceptions (`smtp_alert` written on the real server), so that
/// a large configuration costs nothing here.
public struct SMTPAlertTargets: Sendable {
    /// Virtual servers whose quorum changes are mailed.
    public var virtualServers: Set<VirtualServerID> = []
    /// Whether a real server without its own `smtp_alert` mails its checkers' changes.
    public var realServerDefault = true
    /// Real servers whose own `smtp_alert` differs from ``realServerDefault``.
    public var realServerOverrides: [RealServerID: Bool] = [:]
    /// `no_checker_emails`: a checker's mail only when its real server's alive state changed.
    public var noCheckerEmails = false
    /// The protocol name keepalived prints in each virtual server's real-server addresses (`[ip]:tcp:port`).
    public var protocolNames: [VirtualServerID: String] = [:]

    /// No alerts.
    public init() {}

    /// Whether the checker changes and removal of real server `id` are mailed.
    public func mails(realServer id: RealServerID) -> Bool {
        realServerOverrides[id] ?? realServerDefault
    }

    /// Whether the quorum changes of virtual server `id` are mailed.
    public func mails(virtualServer id: VirtualServerID) -> Bool {
        virtualServers.contains(id)
    }

    /// keepalived's `FMT_RS` of a real server: `[10.0.0.2]:tcp:80`, with its virtual server's protocol.
    public func name(of rs: RealServerID) -> String {
        "[\(rs.destination.address)]:\(protocolNames[rs.virtualServer] ?? "tcp"):\(rs.destination.port)"
    }

    /// The resolved `smtp_alert` of a virtual server.
    static func alerts(_ vs: VirtualServer, _ g: GlobalDefinitions) -> Bool {
        vs.smtpAlert ?? g.smtpAlertChecker ?? g.mail.smtpAlert ?? false
    }

    /// The `smtp_alert` of a real server that does not set its own.
    static func realServerDefault(_ g: GlobalDefinitions) -> Bool {
        g.smtpAlertChecker ?? g.mail.smtpAlert ?? true
    }
}
