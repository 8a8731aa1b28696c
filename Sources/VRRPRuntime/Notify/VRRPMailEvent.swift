import VRRP

/// What a VRRP alert mail reports (keepalived's `vrrp_smtp_notifier` and `vrrp_sync_smtp_notifier`).
public enum VRRPMailEvent: Hashable, Sendable {
    /// The instance or group entered MASTER, BACKUP or FAULT.
    case entered(VRRPState)
    /// The daemon is stopping.
    case stopping
    /// A reload removed the instance (with `notify_deleted`; without, keepalived mails FAULT).
    case deleted
}
