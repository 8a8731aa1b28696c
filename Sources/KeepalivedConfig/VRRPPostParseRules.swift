import IPVSKit

/// The rules keepalived 2.2.7 applies once the whole file is read (`vrrp_complete_init`, `vrrp_complete_instance`,
/// `vrrp_sync_set_group`, `check_vrid_conflicts`, the lvs_sync_daemon lookup).
///
/// Severity follows what keepalived then does: what makes keepalived's VRRP process refuse to start (no
/// virtual_router_id, no interface, no VIP where one is required, unicast in strict mode, two instances with one
/// VRID on one interface and group) is an error; what keepalived adjusts, ignores or drops and then runs with is
/// a warning saying what was done. (keepalived's `-t` reports both kinds as configuration errors.)
extension Parser {
    mutating func finishVRRP() {
        let globals = configuration.globalDefinitions

        // Scripts: the first of a name wins.
        for script in pendingVRRPScripts {
            if let first = vrrp.script(named: script.name) {
                log.warning(.adjusted, script.location,
                            "vrrp_script \(script.name) is already defined at \(first.location) - ignoring this one")
                continue
            }
            vrrp.scripts.append(script)
        }
        var trackFileNames: Set<String> = []
        var trackFiles: [VRRPTrackFileDefinition] = []
        for definition in vrrp.trackFiles {
            guard trackFileNames.insert(definition.name).inserted else {
                log.warning(.adjusted, definition.location, "track file \(definition.name) is already defined - ignoring this one")
                continue
            }
            trackFiles.append(definition)
        }
        vrrp.trackFiles = trackFiles

        // Instances.
        var seen: [String: ConfigLocation] = [:]
        for pending in pendingVRRPInstances {
            let name = pending.instance.name
            if let first = seen[name] {
                // keepalived: "vrrp instance NAME already defined" (a configuration error; the block is skipped).
                log.warning(.adjusted, pending.instance.location,
                            "vrrp instance \(name) is already defined at \(first) - ignoring this one")
                continue
            }
            seen[name] = pending.instance.location
            if let instance = complete(pending, globals: globals) {
                vrrp.instances.append(instance)
            }
        }
        var used: Set<String> = []
        for instance in vrrp.instances { used.formUnion(instance.trackScripts.map(\.name)) }

        finishSyncGroups(&used)
        ignoreFloatingPriorities()
        checkVRIDConflicts(globals: globals)

        for script in vrrp.scripts where !used.contains(script.name) {
            log.warning(.adjusted, script.location, "vrrp_script \(script.name) is not used")
        }

        // lvs_sync_daemon follows an instance: it must exist, and its VRID is the default sync id.
        if var sync = configuration.globalDefinitions.lvsSyncDaemon, let instanceName = sync.vrrpInstance {
            if let instance = vrrp.instance(named: instanceName) {
                if !sync.syncIDWasGiven { sync.syncID = UInt32(instance.virtualRouterID) }
                configuration.globalDefinitions.lvsSyncDaemon = sync
            } else {
                log.warning(.adjusted, sync.location,
                            "unable to find vrrp instance \(instanceName) for lvs_sync_daemon - clearing the lvs_sync_daemon configuration")
                configuration.globalDefinitions.lvsSyncDaemon = nil
            }
        }
        configuration.vrrp = vrrp
    }

    /// `vrrp_complete_instance`: defaults, derived values and keepalived's adjustments. `nil` drops the instance.
    private mutating func complete(_ p: PendingVRRPInstance, globals: GlobalDefinitions) -> VRRPInstance? {
        var v = p.instance
        let name = v.name
        let at = v.location
        guard v.virtualRouterID != 0 else {
            log.error(.syntax, at, "(\(name)) the virtual router id must be set")
            return nil
        }
        let hasPeers = !v.unicastPeers.isEmpty
        if v.interface == nil && !hasPeers {
            log.error(.syntax, at, "(\(name)) no interface (an instance needs 'interface' unless it is unicast)")
            return nil
        }
        v.strictMode = p.strictMode ?? globals.vrrp.strict
        v.family = p.family ?? .inet
        if v.family == .inet6 {
            if p.version == .v2 {
                log.warning(.adjusted, p.versionLocation ?? at, "(\(name)) cannot use IPv6 with VRRP version 2; setting version 3")
            }
            v.version = .v3
        } else {
            v.version = p.version ?? globals.vrrp.version
        }

        if v.virtualAddresses.isEmpty {
            if v.version == .v3 || v.strictMode {
                log.error(.syntax, at, "(\(name)) no VIP specified; at least one is required"
                          + (v.strictMode ? " in strict mode" : " for VRRP version 3"))
                return nil
            }
            log.warning(.adjusted, at, "(\(name)) no VIP specified; at least one is sensible")
        }

        // Priority and initial state derive from each other when one is missing.
        v.priorityWasGiven = p.priority != nil
        v.priority = p.priority ?? (v.stateWasGiven && v.initialState == .master ? 255 : 100)
        if !v.stateWasGiven {
            v.initialState = v.priority == 255 ? .master : .backup
        } else if v.strictMode && (v.initialState == .master) != (v.priority == 255) {
            log.warning(.adjusted, p.stateLocation ?? at,
                        "(\(name)) strict mode: state MASTER must match being address owner (priority 255) - using \(v.priority == 255 ? "MASTER" : "BACKUP")")
            v.initialState = v.priority == 255 ? .master : .backup
        }

        // Authentication (VRRPv2 only).
        if let kind = p.authKind {
            let where_ = p.authLocation ?? at
            if v.strictMode {
                log.warning(.adjusted, where_, "(\(name)) strict mode does not support authentication - ignoring it")
            } else if v.version == .v3 {
                log.warning(.adjusted, where_, "(\(name)) VRRP version 3 does not support authentication - ignoring it")
            } else if (p.authPassword ?? "").isEmpty {
                log.warning(.adjusted, where_, "(\(name)) authentication specified but no password given - ignoring it")
            } else if v.family == .inet6 && kind == .ah {
                log.warning(.adjusted, where_, "(\(name)) cannot use AH authentication with IPv6 - ignoring it")
            } else {
                v.authentication = VRRPAuthentication(kind: kind, password: p.authPassword ?? "")
                if kind == .ah {
                    if v.initialState == .master && v.priority != 255 {
                        log.warning(.adjusted, where_, "(\(name)) initial state MASTER is incompatible with AH authentication - using BACKUP")
                        v.initialState = .backup
                    }
                    log.warning(.notActedUpon, where_,
                                "(\(name)) auth_type AH is parsed but not implemented by lvsd (only PASS is): this instance cannot exchange adverts with keepalived's AH")
                }
            }
        } else if p.authPassword != nil, let where_ = p.authLocation {
            log.warning(.adjusted, where_, "(\(name)) auth_pass without auth_type - no authentication")
        }

        // Unicast.
        if v.strictMode && hasPeers {
            log.error(.syntax, at, "(\(name)) unicast peers are not supported in strict mode")
            return nil
        }
        if v.interface == nil {
            guard let source = v.unicastSourceAddress else {
                log.error(.syntax, at, "(\(name)) unicast instances must have unicast_src_ip or interface")
                return nil
            }
            if source.isIPv6LinkLocal {
                log.error(.syntax, at, "(\(name)) a non link-local unicast_src_ip is required when the interface is omitted")
                return nil
            }
        }
        if p.unicastConfigured && !hasPeers {
            if v.unicastFaultNoPeer {
                log.warning(.adjusted, at, "(\(name)) cannot use unicast without any peers - the instance will be in FAULT state")
            } else {
                log.warning(.deprecated, at,
                            "(\(name)) a unicast keyword has been specified without any unicast peers; defaulting to multicast (deprecated - please update the configuration)")
            }
        }
        if v.unicastTTL != nil && !hasPeers {
            log.warning(.adjusted, at, "(\(name)) cannot use unicast_ttl without unicast peers - resetting")
            v.unicastTTL = nil
        }

        // The first IPv6 VIP should be link-local (RFC 5798 §5.2.9); strict mode requires it.
        if v.family == .inet6, !hasPeers, v.strictMode, let first = v.virtualAddresses.first, !first.address.isIPv6LinkLocal {
            log.warning(.adjusted, first.location, "(\(name)) the first IPv6 VIP address must be link local in strict mode")
        }

        // What fits in one advert (at most 255 addresses; keepalived assumes a 1500-byte MTU when it cannot ask the
        // interface): the rest become excluded addresses.
        let header = v.family == .inet ? 14 + 20 + 8 + (v.version == .v2 ? 8 : 0) : 14 + 40 + 8
        let maximum = min(255, (1500 - header) / (v.family == .inet ? 4 : 16))
        if v.virtualAddresses.count > maximum {
            log.warning(.adjusted, at,
                        "(\(name)) number of VIPs (\(v.virtualAddresses.count)) exceeds the space in an advert (max \(maximum) addresses) - excess moved to virtual_ipaddress_excluded")
            v.excludedAddresses = Array(v.virtualAddresses[maximum...]) + v.excludedAddresses
            v.virtualAddresses = Array(v.virtualAddresses.prefix(maximum))
        }

        // Preemption.
        if v.priority == 255 && v.noPreempt {
            log.warning(.adjusted, p.nopreemptLocation ?? at, "(\(name)) nopreempt is incompatible with priority 255 - resetting nopreempt")
            v.noPreempt = false
        }
        if v.initialState == .master {
            if v.noPreempt {
                log.warning(.adjusted, p.nopreemptLocation ?? at,
                            "(\(name)) Warning - nopreempt will not work with initial state MASTER - clearing")
                v.noPreempt = false
            }
            if v.preemptDelay > .zero {
                log.warning(.adjusted, p.preemptDelayLocation ?? at,
                            "(\(name)) Warning - preempt delay will not work with initial state MASTER - clearing")
                v.preemptDelay = .zero
            }
        }
        if v.preemptDelay > .zero {
            if v.strictMode {
                log.warning(.adjusted, p.preemptDelayLocation ?? at, "(\(name)) preempt_delay is incompatible with strict mode - resetting")
                v.preemptDelay = .zero
            } else if v.noPreempt {
                log.warning(.adjusted, p.preemptDelayLocation ?? at, "(\(name)) preempt_delay is incompatible with nopreempt mode - resetting")
                v.preemptDelay = .zero
            }
        }

        v.downTimerAdverts = p.downTimerAdverts ?? globals.vrrp.downTimerAdverts
        if v.downTimerAdverts != 3 && v.strictMode {
            log.warning(.adjusted, at, "(\(name)) down_timer_adverts is incompatible with strict mode - resetting to 3")
            v.downTimerAdverts = 3
        }

        // Accept mode: on by default, off in strict mode for a non-owner; VRRPv2 strict mode forbids it.
        v.accept = p.accept ?? (v.priority == 255 ? true : !v.strictMode)
        if v.accept && v.priority != 255 && v.strictMode && v.version == .v2 {
            log.warning(.adjusted, at, "(\(name)) accept mode for VRRP version 2 does not comply with RFC 3768 - resetting")
            v.accept = false
        }

        // Multicast group.
        if hasPeers {
            if p.multicastGroup != nil {
                log.warning(.adjusted, p.multicastGroupLocation ?? at, "(\(name)) multicast destination specified with unicast - ignoring it")
            }
            v.multicastGroup = nil
        } else {
            v.multicastGroup = p.multicastGroup ?? (v.family == .inet ? globals.vrrp.multicastGroup4 : globals.vrrp.multicastGroup6)
        }

        // GARP: the instance's, else the global, else keepalived's defaults.
        let g = globals.vrrp
        v.garp.masterDelay = p.garpMasterDelay ?? g.garp.masterDelay
        v.garp.masterRepeat = p.garpMasterRepeat ?? g.garp.masterRepeat
        v.garp.masterRefresh = p.garpMasterRefresh ?? g.garp.masterRefresh
        v.garp.masterRefreshRepeat = p.garpMasterRefreshRepeat ?? g.garp.masterRefreshRepeat
        if v.strictMode {
            if let given = p.garpLowerPriorityRepeat, given != 0 {
                log.warning(.adjusted, at, "(\(name)) strict mode requires no repeat garps - resetting garp_lower_prio_repeat")
            }
            if let given = p.garpLowerPriorityDelay, given != .zero {
                log.warning(.adjusted, at, "(\(name)) strict mode requires no repeat garp delay - resetting garp_lower_prio_delay")
            }
            v.garp.lowerPriorityRepeat = 0
            v.garp.lowerPriorityDelay = .zero
        } else {
            v.garp.lowerPriorityRepeat = p.garpLowerPriorityRepeat ?? g.garpLowerPriorityRepeat ?? g.garp.masterRepeat
            v.garp.lowerPriorityDelay = p.garpLowerPriorityDelay ?? g.garpLowerPriorityDelay ?? g.garp.masterDelay
        }
        v.lowerPriorityNoAdvert = p.lowerPriorityNoAdvert ?? v.strictMode
        if v.strictMode && !v.lowerPriorityNoAdvert {
            log.warning(.adjusted, at, "(\(name)) strict mode requires lower_prio_no_advert - resetting")
            v.lowerPriorityNoAdvert = true
        }
        v.higherPrioritySendAdvert = p.higherPrioritySendAdvert ?? false
        if v.strictMode && v.higherPrioritySendAdvert {
            log.warning(.adjusted, at, "(\(name)) strict mode requires higher_prio_send_advert to be clear - resetting")
            v.higherPrioritySendAdvert = false
        }

        v.smtpAlert = p.smtpAlert ?? globals.mail.smtpAlertVRRP ?? globals.mail.smtpAlert ?? false

        // Advert interval, rounded for the version.
        v.advertInterval = advertInterval(p, version: v.version, name: name)

        // Tracked scripts and files must exist.
        v.trackScripts = existingScripts(v.trackScripts, owner: name)
        var files: [VRRPTrackedFile] = []
        for tracked in v.trackFiles {
            if vrrp.trackFiles.contains(where: { $0.name == tracked.name }) {
                files.append(tracked)
            } else {
                log.warning(.adjusted, tracked.location, "(\(name)) track file \(tracked.name) not found, ignoring...")
            }
        }
        v.trackFiles = files
        return v
    }

    /// The tracked scripts that name a defined `vrrp_script`; the others are reported and dropped.
    private mutating func existingScripts(_ tracked: [VRRPTrackedScript], owner: String) -> [VRRPTrackedScript] {
        var kept: [VRRPTrackedScript] = []
        for entry in tracked {
            if vrrp.script(named: entry.name) != nil {
                kept.append(entry)
            } else {
                log.warning(.adjusted, entry.location, "(\(owner)) track script \(entry.name) not found, ignoring...")
            }
        }
        return kept
    }

    /// keepalived's rounding: VRRPv2 whole seconds (half up, at least 1 s, below 256 s); VRRPv3 centiseconds
    /// (half up, at least 10 ms, below 40.96 s).
    private mutating func advertInterval(_ p: PendingVRRPInstance, version: VRRPVersion, name: String) -> ConfigDuration {
        guard let given = p.advertInterval else { return .seconds(1) }
        let at = p.advertLocation ?? p.instance.location
        let micros = given.totalMicroseconds
        switch version {
        case .v2:
            if micros % 1_000_000 == 0 { return given }
            let rounded = max((micros + 500_000) / 1_000_000, 1)
            log.warning(.adjusted, at,
                        "(\(name)) VRRPv2 advertisement interval \(given.secondsText)s must be an integer - rounding to \(rounded)s")
            return .seconds(rounded)
        case .v3:
            if micros >= 4096 * 10_000 {
                log.warning(.adjusted, at,
                            "(\(name)) VRRPv3 advertisement interval \(given.secondsText)s is out of range (must be less than 40.96s) - setting to 40.95s")
                return .milliseconds(40_950)
            }
            if micros % 10_000 == 0 { return given }
            let rounded = max((micros + 5_000) / 10_000, 1) * 10_000
            log.warning(.adjusted, at,
                        "(\(name)) VRRPv3 advertisement interval \(given.secondsText)s must be in units of 10ms - rounding to \(Duration.microseconds(rounded).secondsText)s")
            return .microseconds(rounded)
        }
    }

    /// `vrrp_sync_set_group`: members must exist and be in one group only.
    private mutating func finishSyncGroups(_ usedScripts: inout Set<String>) {
        var groupOf: [String: String] = [:]
        var names: [String: ConfigLocation] = [:]
        for pending in pendingSyncGroups {
            var group = pending.group
            if let first = names[group.name] {
                log.warning(.adjusted, group.location,
                            "vrrp sync group \(group.name) is already defined at \(first) - ignoring this one")
                continue
            }
            names[group.name] = group.location
            var states: Set<VRRPInitialState> = []
            var owners: Set<Bool> = []
            for (member, location) in pending.memberNames {
                guard let index = vrrp.instances.firstIndex(where: { $0.name == member }) else {
                    log.warning(.adjusted, location,
                                "virtual router \(member) specified in sync group \(group.name) doesn't exist - ignoring")
                    continue
                }
                if let other = groupOf[member] {
                    log.warning(.adjusted, location,
                                "virtual router \(member) cannot exist in more than one sync group (it is in \(other)); ignoring it in \(group.name)")
                    continue
                }
                groupOf[member] = group.name
                group.members.append(member)
                vrrp.instances[index].syncGroup = group.name
                states.insert(vrrp.instances[index].initialState)
                owners.insert(vrrp.instances[index].isAddressOwner)
            }
            if owners.count > 1 && states.count > 1 {
                log.warning(.adjusted, group.location,
                            "sync group \(group.name) has some member(s) as address owner and some not as address owner. This won't work.")
            }
            group.trackScripts = existingScripts(group.trackScripts, owner: group.name)
            usedScripts.formUnion(group.trackScripts.map(\.name))
            if group.members.isEmpty {
                log.warning(.adjusted, group.location,
                            "sync group \(group.name): no matching virtual router found in the group declaration - removing it")
                continue
            }
            if group.members.count == 1 {
                log.warning(.adjusted, group.location,
                            "sync group \(group.name) has only 1 virtual router - this probably isn't what you want")
            }
            vrrp.syncGroups.append(group)
        }
    }

    /// keepalived does not let the priority of a sync-group member (without `sync_group_tracking_weight`) or of an
    /// address owner float: weighted tracked interfaces lose their weight (an owner stops tracking them), weighted
    /// scripts are dropped, tracked files keep only an explicit weight 0.
    private mutating func ignoreFloatingPriorities() {
        for index in vrrp.instances.indices {
            var v = vrrp.instances[index]
            let inSyncGroup = v.syncGroup.flatMap { vrrp.syncGroup(named: $0) }.map { !$0.trackingWeight } ?? false
            guard inSyncGroup || v.priority == 255 else { continue }
            let reason = inSyncGroup ? "SYNC group" : "address owner"
            var interfaces: [VRRPTrackedInterface] = []
            for tracked in v.trackInterfaces {
                guard tracked.weight != 0 else {
                    interfaces.append(tracked)
                    continue
                }
                log.warning(.adjusted, tracked.location,
                            "(\(v.name)) ignoring \(inSyncGroup ? "the weight of " : "")tracked interface \(tracked.interface) due to \(reason)")
                if inSyncGroup {
                    var unweighted = tracked
                    unweighted.weight = 0
                    interfaces.append(unweighted)
                }
            }
            v.trackInterfaces = interfaces
            var scripts: [VRRPTrackedScript] = []
            for tracked in v.trackScripts {
                let weight = tracked.weight ?? vrrp.script(named: tracked.name)?.weight ?? 0
                if weight == 0 {
                    scripts.append(tracked)
                } else {
                    log.warning(.adjusted, tracked.location,
                                "(\(v.name)) ignoring tracked script \(tracked.name) with weights due to \(reason)")
                }
            }
            v.trackScripts = scripts
            var files: [VRRPTrackedFile] = []
            for tracked in v.trackFiles {
                switch tracked.weight {
                case 0?:
                    files.append(tracked)
                case nil, 1?:
                    log.warning(.adjusted, tracked.location,
                                "(\(v.name)) ignoring the weight of tracked file \(tracked.name) due to \(reason) - specify weight 0")
                    var unweighted = tracked
                    unweighted.weight = 0
                    files.append(unweighted)
                default:
                    log.warning(.adjusted, tracked.location,
                                "(\(v.name)) ignoring tracked file \(tracked.name) with weight \(tracked.weight ?? 0) due to \(reason)")
                }
            }
            v.trackFiles = files
            vrrp.instances[index] = v
        }
    }

    /// `check_vrid_conflicts`: one VRID per interface, family and multicast group (or, for unicast, per
    /// interface, source address and overlapping peers).
    private mutating func checkVRIDConflicts(globals: GlobalDefinitions) {
        let instances = vrrp.instances
        for (i, a) in instances.enumerated() {
            for b in instances[(i + 1)...] where a.virtualRouterID == b.virtualRouterID && a.family == b.family
                && a.isUnicast == b.isUnicast {
                if a.isUnicast {
                    if let ia = a.interface, let ib = b.interface, ia != ib { continue }
                    guard let sa = a.unicastSourceAddress, let sb = b.unicastSourceAddress, sa == sb else { continue }
                    let peersA = Set(a.unicastPeers.map(\.address))
                    guard b.unicastPeers.contains(where: { peersA.contains($0.address) }) else { continue }
                    log.error(.invalidValue, b.location, "(\(a.name)) duplicate VRID conflict with \(b.name) VRID \(a.virtualRouterID)")
                } else {
                    guard a.interface == b.interface, a.multicastGroup == b.multicastGroup else { continue }
                    log.error(.invalidValue, b.location,
                              "\(a.name) and \(b.name) both use VRID \(a.virtualRouterID) with IPv\(a.family == .inet ? 4 : 6) on interface \(a.interface ?? "?")")
                }
            }
        }
    }
}

extension Duration {
    /// The duration in whole microseconds (configuration values have at most 6 decimal places).
    var totalMicroseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
    }

    /// `1`, `0.5`, `0.015`: seconds without trailing zeros.
    var secondsText: String {
        let micros = totalMicroseconds
        let whole = micros / 1_000_000
        var fraction = micros % 1_000_000
        guard fraction != 0 else { return "\(whole)" }
        var digits = 6
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
