import VRRP

/// lvsd's split-brain detection (keepalived stays silent): a MASTER that drops an advert carrying its own VRID
/// for a mismatch (interval, VIP set, auth, version) will never yield to its sender, and the sender, ignoring ours
/// the same way, keeps the VIPs too. Both hold them until the configurations agree.
enum SplitBrain {
    /// The cause to report for a drop seen in MASTER, or `nil` when the drop says nothing about a second master
    /// (a truncated packet, a TTL from a router in the way, ...).
    static func cause(of reason: DropReason) -> String? {
        switch reason {
        case .intervalMismatch: "advert interval"
        case .addressCountMismatch, .addressMissing: "virtual address set"
        case .authTypeMismatch, .passwordMismatch, .invalidAuthType: "authentication"
        case .versionMismatch: "VRRP version"
        case .castModeMismatch: "unicast/multicast mode"
        default: nil
        }
    }
}
