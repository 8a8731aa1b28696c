/// The VRRP events keepalived mails about (`vrrp_smtp_notifier`, `vrrp_sync_smtp_notifier` in vrrp_notify.c).
public enum VRRPAlertState: Hashable, Sendable, CaseIterable {
    /// `Entering MASTER state`.
    case master
    /// `Entering BACKUP state`.
    case backup
    /// `Entering FAULT state` (keepalived sends none with `no_email_faults`; that choice is the caller's).
    case fault
    /// `Stopping`.
    case stopping
    /// `Deleted`: an instance removed by a reload (instances only).
    case deleted

    /// The subject's last words.
    var subjectText: String {
        switch self {
        case .master: "Entering MASTER state"
        case .backup: "Entering BACKUP state"
        case .fault: "Entering FAULT state"
        case .stopping: "Stopping"
        case .deleted: "Deleted"
        }
    }
}

extension AlertMail {
    /// keepalived's mail for a VRRP instance's transition: subject `[<router_id>] VRRP Instance <name> - Entering
    /// MASTER state`, body `=> VRRP Instance is now owning VRRP VIPs <=` (and so on for the other states).
    public static func vrrpInstance(_ name: String, _ state: VRRPAlertState, routerID: String) -> AlertMail {
        let body = switch state {
        case .master: "=> VRRP Instance is now owning VRRP VIPs <="
        case .backup, .fault: "=> VRRP Instance is no longer owning VRRP VIPs <="
        case .stopping: "=> VRRP Instance stopping <="
        case .deleted: "=> VRRP Deleted at reload <="
        }
        return AlertMail(routerID: routerID, subject: "VRRP Instance \(name) - \(state.subjectText)", body: body)
    }

    /// keepalived's mail for a sync group's transition: subject `[<router_id>] VRRP Group <name> - Entering MASTER
    /// state`, body `=> All VRRP group instances are now in MASTER state <=`; `nil` for ``VRRPAlertState/deleted``,
    /// for which keepalived sends no group mail.
    public static func vrrpGroup(_ name: String, _ state: VRRPAlertState, routerID: String) -> AlertMail? {
        let body: String
        switch state {
        case .master: body = "=> All VRRP group instances are now in MASTER state <="
        case .backup: body = "=> All VRRP group instances are now in BACKUP state <="
        case .fault: body = "=> All VRRP group instances are now in FAULT state <="
        case .stopping: body = "=> All VRRP group instances are now stopping <="
        case .deleted: return nil
        }
        return AlertMail(routerID: routerID, subject: "VRRP Group \(name) - \(state.subjectText)", body: body)
    }
}
