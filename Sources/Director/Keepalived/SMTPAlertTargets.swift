import KeepalivedConfig

/// Which virtual and real servers keepalived would send SMTP alerts for, with what it needs to name them.
///
/// keepalived's defaults (check_data.c): a virtual server's `smtp_alert` (quorum mails) defaults to the global
/// `smtp_alert_checker`, else the global `smtp_alert`, else off; a real server's (checker mails) to the same
/// globals, else **on**. A real server does not inherit its virtual server's setting. Whether mail can be sent
/// at all (`smtp_server`, `notification_email`) is the alerter's business.
public struct SMTPAlertTargets: Sendable {
    /// Virtual servers whose quorum changes are mailed.
    public var virtualServers: Set<VirtualServerID> = []
    /// Real servers whose checker changes and removals are mailed.
    public var realServers: Set<RealServerID> = []
    /// `no_checker_emails`: a checker's mail only when its real server's alive state changed.
    public var noCheckerEmails = false
    /// The protocol name keepalived prints in each virtual server's real-server addresses (`[ip]:tcp:port`).
    public var protocolNames: [VirtualServerID: String] = [:]

    /// No alerts.
    public init() {}

    /// The resolved `smtp_alert` of a virtual server.
    static func alerts(_ vs: VirtualServer, _ g: GlobalDefinitions) -> Bool {
        vs.smtpAlert ?? g.smtpAlertChecker ?? g.mail.smtpAlert ?? false
    }

    /// The resolved `smtp_alert` of a real server.
    static func alerts(_ rs: RealServer, _ g: GlobalDefinitions) -> Bool {
        rs.smtpAlert ?? g.smtpAlertChecker ?? g.mail.smtpAlert ?? true
    }

    /// keepalived's `FMT_RS` of a real server: `[10.0.0.2]:tcp:80`, with its virtual server's protocol.
    public func name(of rs: RealServerID) -> String {
        "[\(rs.destination.address)]:\(protocolNames[rs.virtualServer] ?? "tcp"):\(rs.destination.port)"
    }
}
