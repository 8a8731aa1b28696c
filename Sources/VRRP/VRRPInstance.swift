/// One VRRP instance's pure state machine: events and instants in, actions out, no I/O and no clock of its own,
/// so it runs the same under a fake clock. It follows keepalived 2.2.7 (`vrrp.c`, `vrrp_scheduler.c`,
/// `vrrp_track.c`; reference §1.5-1.6 and §2) where keepalived and the RFCs differ:
///
/// * a BACKUP has no address tie-break: it accepts any advert of equal or higher priority; only a MASTER
///   compares addresses on equal priority;
/// * a BACKUP with `nopreempt` accepts any valid advert, even of lower priority;
/// * `preempt_delay` starts at the first lower-priority advert; until it passes, that sender is still master;
/// * priority 0 makes a BACKUP wait only Skew_Time; a MASTER answers it with an advert at once;
/// * a MASTER hearing a lower priority sends an extra advert at once (unless `lower_prio_no_advert`);
/// * going to FAULT from MASTER sends priority 0 (twice, as keepalived does); going to BACKUP does not;
/// * a v3 BACKUP adopts the master's advert interval for its timers.
///
/// ```swift
/// var vi = VRRPInstance(settings: settings)
/// perform(vi.handle(.start(faulted: false), at: clock.now))
/// // on each validated advert, timer, tracking change:
/// perform(vi.handle(.advert(received), at: clock.now))
/// ```
public struct VRRPInstance: Sendable {
    /// The settings in force (normalised as keepalived does; see ``configurationWarnings``).
    public private(set) var settings: InstanceSettings
    /// keepalived's configuration warnings for the settings given (nopreempt or preempt_delay cleared, ...).
    public let configurationWarnings: [String]
    /// The current state.
    public private(set) var state: VRRPState = .initialize
    /// The priority adverts carry (base priority adjusted by tracking, clamped to 1...254; 255 for the owner).
    public private(set) var effectivePriority: UInt8
    /// The master's advert interval in microseconds: ours, or (v3 BACKUP) the one the master advertises.
    public private(set) var masterAdvertInterval: UInt64
    /// The address of the master last accepted by this BACKUP (also set when a lower priority is discarded).
    public private(set) var masterAddress: VRRPAddress?
    /// The priority of the master last accepted.
    public private(set) var masterPriority: UInt8?
    /// keepalived's `ms_down_timer`: the span the BACKUP timer was last set to.
    public private(set) var downTimer: UInt64 = 0
    /// When the running `preempt_delay` ends, if one runs.
    public private(set) var preemptDeadline: ContinuousClock.Instant?
    /// Timers armed now, and when they fire.
    public private(set) var timers = TimerTable<ContinuousClock.Instant>()
    /// keepalived's `wantstate == MASTER` for a BACKUP sync-group member: its master-down timer ran out, but the
    /// group holds it in BACKUP until every member wants MASTER (``InstanceAction/wantsMaster``). Cleared by an
    /// advert it accepts, and on any state change.
    public private(set) var wantsMaster = false
    /// The checksum form to send with: ``ChecksumForm/pseudoHeader`` (v2: ignored), or for a v3 IPv4 unicast
    /// instance that met an old-form peer (or has `old_unicast_checksum`) ``ChecksumForm/pseudoHeaderMulticastGroup``.
    public private(set) var sendChecksumForm: ChecksumForm
    private var faulted = false
    /// The state last reported in a ``InstanceAction/transition(from:to:)`` (the owner's 1 µs pass through
    /// BACKUP at start-up is not reported, as keepalived neither logs nor notifies it).
    private var announced: VRRPState = .initialize
    private var delayedStartUntil: ContinuousClock.Instant?
    private var garpRefreshDue: ContinuousClock.Instant?

    /// Creates an instance in INIT.
    public init(settings: InstanceSettings) {
        let (s, warnings) = settings.normalized()
        self.settings = s
        self.configurationWarnings = warnings
        self.effectivePriority = s.priority
        self.masterAdvertInterval = s.advertInterval
        self.sendChecksumForm = s.version == .v2 ? .message
            : (s.oldUnicastChecksum == .always && !s.unicastPeers.isEmpty && s.family == .ipv4 ? .pseudoHeaderMulticastGroup : .pseudoHeader)
    }

    // MARK: - Timer arithmetic

    /// Skew_Time at the effective priority and the master's interval.
    public var skewTime: UInt64 {
        VRRPTimers.skew(version: settings.version, priority: effectivePriority, masterAdvertInterval: masterAdvertInterval)
    }

    /// Master_Down_Interval at the effective priority and the master's interval.
    public var masterDownInterval: UInt64 {
        VRRPTimers.masterDown(version: settings.version, priority: effectivePriority,
                              masterAdvertInterval: masterAdvertInterval, downTimerAdverts: settings.downTimerAdverts)
    }

    /// The advert our own settings produce, with this priority.
    public func advertisement(priority: UInt8) -> Advertisement {
        let interval: UInt16 = switch settings.version {
        case .v2: UInt16(min(settings.advertInterval / VRRPTimers.second, 255))
        case .v3: UInt16(min(settings.advertInterval / VRRPTimers.centisecond, 0x0fff))
        }
        return Advertisement(version: settings.version, vrid: settings.vrid, priority: priority,
                             maxAdvertInterval: interval, addresses: settings.virtualAddresses,
                             authType: settings.version == .v2 ? settings.authType : .none,
                             authData: settings.version == .v2 ? settings.authData : Advertisement.noAuthData)
    }

    /// Whether an advert from `source` must go through the address checks (8, 12, 13): always, except in
    /// BACKUP with `vrrp_skip_check_adv_addr` for the master already known.
    public func shouldCheckAddresses(from source: VRRPAddress) -> Bool {
        !(settings.skipCheckAdvertAddresses && state == .backup && masterAddress == source)
    }

    // MARK: - Events

    /// Applies one event at instant `now`; returns what the driver must do, in order.
    public mutating func handle(_ event: InstanceEvent, at now: ContinuousClock.Instant) -> [InstanceAction] {
        var out: [InstanceAction] = []
        handle(event, at: now, into: &out)
        return out
    }

    /// ``handle(_:at:)`` appending to `out` (a driver's reused buffer: no array per event).
    public mutating func handle(_ event: InstanceEvent, at now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        switch event {
        case .start(let f): start(faulted: f, now: now, into: &out)
        case .advert(let a): received(a, now: now, into: &out)
        case .timerFired(let kind): fired(kind, now: now, into: &out)
        case .fault(let on): setFault(on, now: now, into: &out)
        case .priorityChanged(let total): changePriority(total: total, now: now, into: &out)
        case .follow(let target): follow(target, now: now, into: &out)
        case .shutdown: shutdown(into: &out)
        }
    }

    private var tag: String { "(\(settings.name))" }

    /// keepalived's `vrrp_init_state`.
    private mutating func start(faulted f: Bool, now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        guard state == .initialize else { return }
        faulted = f || faulted
        let f = faulted
        if settings.startupDelay > 0 { delayedStartUntil = now + .microseconds(Int64(clamping: settings.startupDelay)) }
        masterAdvertInterval = settings.advertInterval
        // A cold start removes whatever a killed predecessor left (keepalived logs "removing VIPs.").
        out.append(.removeAddresses)
        if !f && settings.initialState == .master && settings.isAddressOwner {
            // keepalived becomes master by timing out of BACKUP after 1 µs, without a BACKUP log or notify.
            state = .backup
            downTimer = 1
            armBackupTimer(now: now, into: &out)
            return
        }
        if settings.initialState == .master && settings.syncGroupMember {
            downTimer = masterAdvertInterval + VRRPTimers.minimumSkew(version: settings.version, masterAdvertInterval: masterAdvertInterval)
        } else {
            downTimer = masterDownInterval
        }
        if !f {
            out.append(.log("\(tag) Entering BACKUP STATE (init)"))
            state = .backup
            announce(.backup, into: &out)
            armBackupTimer(now: now, into: &out)
        } else {
            out.append(.log("\(tag) Entering FAULT STATE (init)"))
            state = .fault
            announce(.fault, into: &out)
        }
    }

    private mutating func received(_ r: ReceivedAdvert, now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        let advert = r.advertisement
        guard state == .backup || state == .master else { return }  // keepalived ignores adverts in INIT and FAULT
        if r.checksumForm == .pseudoHeaderMulticastGroup && sendChecksumForm == .pseudoHeader
            && settings.oldUnicastChecksum == .detect && !settings.unicastPeers.isEmpty {
            sendChecksumForm = .pseudoHeaderMulticastGroup
            out.append(.log("\(tag) Setting unicast VRRPv3 checksum to old version"))
        }
        if state == .backup {
            backupReceived(r, advert: advert, now: now, into: &out)
        } else if masterReceived(r, advert: advert, now: now, into: &out) {
            leaveMaster(to: .backup, sendPriorityZero: false, now: now, into: &out)
        } else if !settings.lowerPriorityNoAdvert {
            // keepalived re-arms the advert timer after every packet a master handles.
            arm(.advert, at: now + .microseconds(Int64(clamping: settings.advertInterval)), into: &out)
        }
    }

    /// keepalived's `vrrp_state_backup`.
    private mutating func backupReceived(_ r: ReceivedAdvert, advert: Advertisement, now: ContinuousClock.Instant,
                                         into out: inout [InstanceAction]) {
        if advert.priority == 0 {
            downTimer = skewTime
            armBackupTimer(now: now, into: &out)
            return
        }
        let delayRunning = settings.preemptDelay > 0 && (preemptDeadline.map { $0 > now } ?? true)
        if settings.noPreempt || advert.priority >= effectivePriority || delayRunning {
            if settings.version == .v3 { masterAdvertInterval = advert.intervalMicroseconds }
            downTimer = masterDownInterval
            masterAddress = r.source
            masterPriority = advert.priority
            // Held in BACKUP by the sync group, it wanted MASTER; hearing a master again, it wants BACKUP.
            wantsMaster = false
            if settings.preemptDelay > 0 {
                if advert.priority >= effectivePriority {
                    preemptDeadline = nil
                } else if preemptDeadline == nil {
                    preemptDeadline = now + .microseconds(Int64(clamping: settings.preemptDelay))
                }
            }
            armBackupTimer(now: now, into: &out)
        } else {
            out.append(.log("\(tag) received lower priority (\(advert.priority)) advert from \(r.source) - discarding"))
            masterAddress = r.source
            // The timer keeps running: this is how preemption happens.
            if let deadline = timers[.masterDown] {
                downTimer = deadline > now ? Self.microseconds(from: now, to: deadline) : 0
            }
        }
    }

    /// keepalived's `vrrp_state_master_rx`; returns whether to leave MASTER for BACKUP.
    private mutating func masterReceived(_ r: ReceivedAdvert, advert: Advertisement, now: ContinuousClock.Instant,
                                         into out: inout [InstanceAction]) -> Bool {
        let ours = settings.primaryAddress
        let cmp = r.source == ours ? 0 : (r.source < ours ? -1 : 1)
        let prio = advert.priority
        if prio == 0 || (settings.higherPrioritySendAdvert && (prio > effectivePriority || (prio == effectivePriority && cmp > 0))) {
            out.append(.sendAdvert(advertisement(priority: effectivePriority)))
            if prio == 0 { return false }
        }
        if prio == effectivePriority {
            if cmp == 0 {
                out.append(.log("\(tag) WARNING - equal priority advert received from remote host with our IP address."))
            } else if effectivePriority == 255 {
                out.append(.log("\(tag) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority"))
                effectivePriority = 254
                settings.priority = 254
            }
        }
        if prio < effectivePriority || (prio == effectivePriority && cmp < 0) {
            out.append(.log("\(tag) Received advert from \(r.source) with lower priority \(prio), ours \(effectivePriority)"
                            + (settings.lowerPriorityNoAdvert ? "" : ", forcing new election")))
            if !settings.lowerPriorityNoAdvert { out.append(.sendAdvert(advertisement(priority: effectivePriority))) }
            if settings.garpLowerPriorityRepeat > 0 {
                out.append(.sendGratuitousBurst(count: settings.garpLowerPriorityRepeat))
                if settings.garpLowerPriorityDelay > 0 {
                    arm(.garpLowerPriorityDelay, at: now + .microseconds(Int64(clamping: settings.garpLowerPriorityDelay)), into: &out)
                }
            }
            out.append(.masterReceivedLowerPriority(from: r.source, priority: prio))
            return false
        }
        if prio > effectivePriority || (prio == effectivePriority && cmp > 0) {
            if prio > effectivePriority {
                out.append(.log("\(tag) Master received advert from \(r.source) with higher priority \(prio), ours \(effectivePriority)"))
            } else {
                out.append(.log("\(tag) Master received advert from \(r.source) with same priority \(prio) but higher IP address than ours"))
            }
            if settings.version == .v3 { masterAdvertInterval = advert.intervalMicroseconds }
            masterPriority = prio
            return true
        }
        return false
    }

    private mutating func fired(_ kind: TimerKind, now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        guard let due = timers[kind], due <= now else { return }
        timers[kind] = nil
        switch (kind, state) {
        case (.masterDown, .backup) where settings.syncGroupMember:
            // vrrp_sync_can_goto_master: the group decides. Until it does, wait another master-down interval.
            wantsMaster = true
            downTimer = masterDownInterval
            armBackupTimer(now: now, into: &out)
            out.append(.wantsMaster)
        case (.masterDown, .backup):
            goToMaster(now: now, into: &out)
        case (.advert, .master):
            out.append(.sendAdvert(advertisement(priority: effectivePriority)))
            if settings.garpMasterRefresh > 0, let refresh = garpRefreshDue, now > refresh {
                out.append(.sendGratuitousBurst(count: settings.garpMasterRefreshRepeat))
                garpRefreshDue = now + .microseconds(Int64(clamping: settings.garpMasterRefresh))
            }
            arm(.advert, at: now + .microseconds(Int64(clamping: settings.advertInterval)), into: &out)
        case (.garpMasterDelay, .master):
            out.append(.sendGratuitousBurst(count: settings.garpMasterRepeat))
        case (.garpLowerPriorityDelay, .master):
            out.append(.sendGratuitousBurst(count: settings.garpLowerPriorityRepeat))
        default:
            break
        }
    }

    /// keepalived's `vrrp_state_goto_master`, `vrrp_state_master_tx` and `vrrp_state_become_master`: advert
    /// first (so the old master drops its VIPs), then VIPs, GARP burst, notifies.
    private mutating func goToMaster(now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        state = .master
        wantsMaster = false
        cancel(.masterDown, into: &out)
        out.append(.sendAdvert(advertisement(priority: effectivePriority)))
        masterAdvertInterval = settings.advertInterval
        masterAddress = nil
        masterPriority = nil
        // The VIPs before the log line (keepalived logs first): the line's write is not on the takeover's path.
        out.append(.addAddresses)
        out.append(.log("\(tag) Entering MASTER STATE"))
        out.append(.sendGratuitousBurst(count: settings.garpMasterRepeat))
        if settings.garpMasterRefresh > 0 { garpRefreshDue = now + .microseconds(Int64(clamping: settings.garpMasterRefresh)) }
        announce(.master, into: &out)
        if settings.garpMasterDelay > 0 {
            arm(.garpMasterDelay, at: now + .microseconds(Int64(clamping: settings.garpMasterDelay)), into: &out)
        }
        arm(.advert, at: now + .microseconds(Int64(clamping: settings.advertInterval)), into: &out)
    }

    /// keepalived's `vrrp_state_leave_master`.
    private mutating func leaveMaster(to new: VRRPState, sendPriorityZero: Bool, now: ContinuousClock.Instant,
                                      into out: inout [InstanceAction]) {
        if new == .backup {
            out.append(.log("\(tag) Entering BACKUP STATE"))
            preemptDeadline = nil
        } else {
            out.append(.log("\(tag) Entering FAULT STATE"))
            out.append(.sendAdvert(advertisement(priority: 0)))
        }
        // vrrp_restore_interface: with advF, a (second) priority-0 advert, then the VIPs go.
        if sendPriorityZero { out.append(.sendAdvert(advertisement(priority: 0))) }
        out.append(.removeAddresses)
        for k in [TimerKind.advert, .garpMasterDelay, .garpLowerPriorityDelay] { cancel(k, into: &out) }
        garpRefreshDue = nil
        state = new
        wantsMaster = false
        announce(new, into: &out)
        downTimer = masterDownInterval
        if new == .backup { armBackupTimer(now: now, into: &out) }
    }

    /// keepalived's `down_instance` / `try_up_instance` with `vrrp_state_leave_fault`.
    private mutating func setFault(_ on: Bool, now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        guard on != faulted else { return }
        faulted = on
        switch (on, state) {
        case (true, .master):
            leaveMaster(to: .fault, sendPriorityZero: true, now: now, into: &out)
            masterAdvertInterval = settings.advertInterval
        case (true, .backup):
            out.append(.log("\(tag) Entering FAULT STATE"))
            state = .fault
            wantsMaster = false
            announce(.fault, into: &out)
            masterAdvertInterval = settings.advertInterval
            downTimer = masterDownInterval
            cancel(.masterDown, into: &out)
        case (false, .fault):
            // try_up_instance: the wanted state is now BACKUP, for the owner too.
            out.append(.log("\(tag) Entering BACKUP STATE"))
            state = .backup
            announce(.backup, into: &out)
            preemptDeadline = nil
            masterAdvertInterval = settings.advertInterval
            downTimer = masterDownInterval
            armBackupTimer(now: now, into: &out)
        default:
            break  // INIT: remembered for start; other combinations cannot happen.
        }
    }

    /// keepalived's `vrrp_set_effective_priority`.
    private mutating func changePriority(total: Int, now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        guard !settings.isAddressOwner else { return }
        let new = UInt8(min(max(total, 1), 254))
        guard new != effectivePriority else { return }
        out.append(.log("\(tag) Changing effective priority from \(effectivePriority) to \(new)"))
        effectivePriority = new
        out.append(.effectivePriorityChanged(new))
        let old = downTimer
        downTimer = masterDownInterval
        if state == .backup, let due = timers[.masterDown] {
            let moved = downTimer >= old ? due + .microseconds(Int64(clamping: downTimer - old))
                                         : due - .microseconds(Int64(clamping: old - downTimer))
            arm(.masterDown, at: moved, into: &out)
        }
    }

    /// keepalived's `vrrp_sync_master` / `vrrp_sync_backup`: a member moved by its group.
    private mutating func follow(_ target: VRRPState, now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        switch (target, state) {
        case (.master, .backup): goToMaster(now: now, into: &out)
        case (.backup, .master): leaveMaster(to: .backup, sendPriorityZero: false, now: now, into: &out)
        default: break
        }
    }

    // MARK: - Reconfiguration

    /// Whether ``reconfigure(_:)`` can take `new` without a restart: the same VRID, version, family, source
    /// address, address-owner status and cast mode (multicast group or unicast).
    public func canReconfigure(to new: InstanceSettings) -> Bool {
        let old = settings
        return new.vrid == old.vrid && new.version == old.version && new.family == old.family
            && new.primaryAddress == old.primaryAddress && new.isAddressOwner == old.isAddressOwner
            && new.unicastPeers.isEmpty == old.unicastPeers.isEmpty && new.multicastGroup == old.multicastGroup
            && new.initialState == old.initialState
    }

    /// Takes new settings (a reload) without a state change: VIPs, interval, preemption, GARP and the rest apply
    /// from the next advert or timer. A base-priority change is not applied here: send
    /// ``InstanceEvent/priorityChanged(total:)`` with the new total. Returns keepalived's configuration
    /// warnings for the new settings. Call only when ``canReconfigure(to:)``.
    public mutating func reconfigure(_ new: InstanceSettings) -> [String] {
        let (s, warnings) = new.normalized()
        settings = s
        if state != .backup || s.version == .v2 { masterAdvertInterval = s.advertInterval }
        if s.preemptDelay == 0 { preemptDeadline = nil }
        if s.garpMasterRefresh == 0 { garpRefreshDue = nil }
        return warnings
    }

    /// keepalived's `shutdown_vrrp_instances` / `restore_vrrp_interfaces`.
    private mutating func shutdown(into out: inout [InstanceAction]) {
        guard state != .initialize else { return }
        if state == .master {
            out.append(.sendAdvert(advertisement(priority: 0)))
            out.append(.removeAddresses)
        }
        for k in TimerKind.allCases { cancel(k, into: &out) }
        state = .initialize
        announced = .initialize
        out.append(.stopped)
    }

    // MARK: - Timer plumbing

    private mutating func announce(_ new: VRRPState, into out: inout [InstanceAction]) {
        out.append(.transition(from: announced, to: new))
        announced = new
    }

    private mutating func armBackupTimer(now: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        var base = now
        if let until = delayedStartUntil {
            if now < until { base = until } else { delayedStartUntil = nil }
        }
        arm(.masterDown, at: base + .microseconds(Int64(clamping: downTimer)), into: &out)
    }

    private mutating func arm(_ kind: TimerKind, at instant: ContinuousClock.Instant, into out: inout [InstanceAction]) {
        timers[kind] = instant
        out.append(.armTimer(kind, at: instant))
    }

    private mutating func cancel(_ kind: TimerKind, into out: inout [InstanceAction]) {
        guard timers.removeValue(forKey: kind) != nil else { return }
        out.append(.cancelTimer(kind))
    }

    private static func microseconds(from a: ContinuousClock.Instant, to b: ContinuousClock.Instant) -> UInt64 {
        let d = a.duration(to: b).components
        return UInt64(max(0, d.seconds * 1_000_000 + d.attoseconds / 1_000_000_000_000))
    }
}
