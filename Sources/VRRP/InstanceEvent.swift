/// The states of a VRRP instance (RFC 3768 §6.4 plus keepalived's FAULT).
public enum VRRPState: String, Hashable, Sendable, CustomStringConvertible {
    /// Not started (and again after shutdown).
    case initialize = "INIT"
    /// Listening to a master; takes over when Master_Down expires.
    case backup = "BACKUP"
    /// Holding the VIPs and advertising.
    case master = "MASTER"
    /// Tracking says the instance cannot work (interface down, failed script).
    case fault = "FAULT"

    public var description: String { rawValue }
}

/// The timers an instance asks its driver to run.
public enum TimerKind: Hashable, Sendable, CaseIterable {
    /// BACKUP: Master_Down_Interval (or Skew_Time after a priority-0 advert) runs out.
    case masterDown
    /// MASTER: time to send the next advert.
    case advert
    /// MASTER: the second gratuitous ARP / NA burst, `garp_master_delay` after becoming master.
    case garpMasterDelay
    /// MASTER: the delayed burst after hearing a lower priority (`garp_lower_prio_delay`).
    case garpLowerPriorityDelay
}

/// Something that happened to an instance; given to ``VRRPInstance/handle(_:at:)`` with the current instant.
public enum InstanceEvent: Hashable, Sendable {
    /// The daemon starts the instance. `faulted`: tracking already reports a fault (interface down, failing
    /// script), so it starts in FAULT.
    case start(faulted: Bool)
    /// A received advert that passed ``ReceiveValidator`` (adverts in INIT and FAULT are ignored).
    case advert(ReceivedAdvert)
    /// A timer armed by an ``InstanceAction/armTimer(_:at:)`` fired; stale or cancelled timers are ignored.
    case timerFired(TimerKind)
    /// Tracking changed its verdict: `true` when the instance must go to FAULT, `false` when it may come back.
    case fault(Bool)
    /// The tracked priority total (base plus tracking weights) changed; it is clamped to 1...254, and the
    /// address owner's priority never moves.
    case priorityChanged(total: Int)
    /// The instance's `vrrp_sync_group` moved: to MASTER, a BACKUP member becomes MASTER at once; to BACKUP, a
    /// MASTER member steps down (without priority 0). FAULT goes through ``fault(_:)``; other cases do nothing.
    case follow(VRRPState)
    /// The daemon stops: a master sends priority 0 and releases its VIPs.
    case shutdown
}

/// What the driver must do, in order, after an event.
public enum InstanceAction: Hashable, Sendable, CustomStringConvertible {
    /// Send this advert: to the group, or one copy per unicast peer (patching the v3 checksum per peer).
    case sendAdvert(Advertisement)
    /// (Re)arm a timer to fire at an instant, replacing any earlier arming of the same kind.
    case armTimer(TimerKind, at: ContinuousClock.Instant)
    /// Cancel a timer.
    case cancelTimer(TimerKind)
    /// Add the VIPs (and eVIPs, virtual routes and rules).
    case addAddresses
    /// Remove the VIPs (and eVIPs, virtual routes and rules); harmless if absent.
    case removeAddresses
    /// Send gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for every VIP, `count` of each.
    case sendGratuitousBurst(count: Int)
    /// The state changed: run notifies, update metrics, switch the LVS sync daemon.
    case transition(from: VRRPState, to: VRRPState)
    /// A master heard a lower priority: the `notify_master_rx_lower_pri` event.
    case masterReceivedLowerPriority(from: VRRPAddress, priority: UInt8)
    /// The instance stopped at shutdown: `notify_stop`.
    case stopped
    /// Log this line (keepalived's wording).
    case log(String)
    /// The effective priority changed (tracking): the `MASTER_PRIORITY` / `BACKUP_PRIORITY` FIFO event.
    case effectivePriorityChanged(UInt8)
    /// A sync-group member in BACKUP whose master-down timer ran out wants MASTER (``VRRPInstance/wantsMaster``).
    /// It becomes MASTER only when the group is MASTER already or every other member wants MASTER too; then the
    /// driver sends it ``InstanceEvent/follow(_:)`` with MASTER. Meanwhile it stays BACKUP, its timer re-armed.
    case wantsMaster

    public var description: String {
        switch self {
        case .sendAdvert(let a): "send advert priority \(a.priority)"
        case .armTimer(let k, let t): "arm \(k) at \(t)"
        case .cancelTimer(let k): "cancel \(k)"
        case .addAddresses: "add VIPs"
        case .removeAddresses: "remove VIPs"
        case .sendGratuitousBurst(let n): "gratuitous burst x\(n)"
        case .transition(let a, let b): "transition \(a) -> \(b)"
        case .masterReceivedLowerPriority(let a, let p): "master rx lower priority \(p) from \(a)"
        case .stopped: "stopped"
        case .log(let l): "log: \(l)"
        case .wantsMaster: "wants MASTER (sync group)"
        case .effectivePriorityChanged(let p): "effective priority \(p)"
        }
    }
}
