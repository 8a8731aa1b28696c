import KeepalivedConfig
import ProgramRunner
import VRRP
import VRRPNetwork

/// Plans keepalived.conf's VRRP part (``KeepalivedConfig/VRRPConfiguration``, already checked and defaulted by
/// the parser) for the engine: keepalived's values in the core's units (microseconds, address bytes), tracking
/// weights as keepalived applies them, scripts as argument vectors. Pure.
public enum VRRPPlanBuilder {
    /// A configuration lvsd's VRRP cannot run, naming the instance and where it is written.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// `FILE:LINE: (VI_1) ...`.
        public var description: String
    }

    /// The plan for `configuration`, or every reason it cannot run.
    public static func plan(_ configuration: KeepalivedConfiguration) -> Result<VRRPPlan, Problem> {
        var problems: [String] = []
        let vrrp = configuration.vrrp
        var plan = VRRPPlan()
        let groupsByMember = Dictionary(vrrp.syncGroups.flatMap { g in g.members.map { ($0, g) } },
                                        uniquingKeysWith: { a, _ in a })
        var trackedScripts = Set<String>()
        for instance in vrrp.instances {
            switch self.instance(instance, group: groupsByMember[instance.name], vrrp: vrrp,
                                 global: configuration.globalDefinitions) {
            case .success(let p):
                plan.instances.append(p)
                trackedScripts.formUnion(p.tracking.scripts.map(\.name))
            case .failure(let problem):
                problems.append(problem.description)
            }
        }
        var seen: [String: String] = [:]
        for p in plan.instances {
            let key = "\(p.interface)/\(p.settings.family)/\(p.settings.vrid)"
            if let other = seen[key] {
                problems.append("\(p.location): (\(p.name)) virtual_router_id \(p.settings.vrid) on \(p.interface) is already used by \(other)")
            }
            seen[key] = p.name
        }
        for script in vrrp.scripts where trackedScripts.contains(script.name) {
            plan.scripts[script.name] = TrackScriptPlan(
                name: script.name, program: program(script.script, timeout: script.effectiveTimeout),
                interval: script.interval, rise: Int(max(script.rise, 1)), fall: Int(max(script.fall, 1)),
                initFail: script.initFail)
        }
        let mail = configuration.globalDefinitions.mail
        plan.noEmailFaults = mail.noEmailFaults
        plan.syncGroups = vrrp.syncGroups.map { g in
            SyncGroupPlan(name: g.name, members: g.members, notify: notify(g),
                          smtpAlert: g.smtpAlert ?? mail.smtpAlertVRRP ?? mail.smtpAlert ?? false)
        }
        if let d = configuration.globalDefinitions.lvsSyncDaemon {
            let followed = d.vrrpInstance.flatMap { vrrp.instance(named: $0) }
            plan.syncDaemon = SyncDaemonPlan(
                interface: d.interface, instance: d.vrrpInstance,
                syncID: d.syncIDWasGiven ? d.syncID : UInt32(followed?.virtualRouterID ?? 0),
                maxLength: d.maxLength, port: d.port, ttl: d.ttl, group: d.group?.description)
        }
        let g = configuration.globalDefinitions
        for (path, script) in [(g.notifyFifo, g.notifyFifoScript), (g.vrrpNotifyFifo, g.vrrpNotifyFifoScript)] {
            guard let path else { continue }
            plan.fifos.append(FifoPlan(path: path, script: script.map { c in
                ProgramSpec(arguments: c.arguments + [path], user: c.user, group: c.group)
            }))
        }
        for a in vrrp.staticAddresses {
            guard let planned = address(a, advertised: false) else {
                problems.append("\(a.location): static_ipaddress \(a.address): not a usable address")
                continue
            }
            plan.staticAddresses.append(planned)
        }
        for r in vrrp.staticRoutes {
            guard let planned = route(r) else {
                problems.append("\(r.location): static_routes: cannot be used")
                continue
            }
            plan.staticRoutes.append(planned)
        }
        if !problems.isEmpty { return .failure(Problem(description: problems.joined(separator: "\n"))) }
        return .success(plan)
    }

    static func instance(_ i: KeepalivedConfig.VRRPInstance, group: VRRPSyncGroup?, vrrp: VRRPConfiguration,
                         global: GlobalDefinitions) -> Result<InstancePlan, Problem> {
        let tag = "\(i.location): (\(i.name))"
        func fail(_ text: String) -> Result<InstancePlan, Problem> { .failure(Problem(description: "\(tag) \(text)")) }
        guard let interface = i.interface else {
            return fail("no interface: lvsd needs `interface` for every instance")
        }
        if i.authentication?.kind == .ah { return fail("authentication AH is not supported by lvsd (use PASS or none)") }
        if i.useVMAC != nil { return fail("use_vmac is not supported by lvsd") }
        let advertised = i.virtualAddresses.compactMap { address($0, advertised: true) }
        guard advertised.count == i.virtualAddresses.count else { return fail("a virtual_ipaddress is not usable") }
        let excluded = i.excludedAddresses.compactMap { address($0, advertised: false) }
        let vips = advertised.map(\.address.address)
        let source = i.unicastSourceAddress ?? i.multicastSourceAddress
        let family: VRRP.AddressFamily = i.family == .inet6 ? .ipv6 : .ipv4
        let placeholder: VRRP.VRRPAddress = family == .ipv4 ? .v4(0) : .v6([UInt8](repeating: 0, count: 16))
        guard let primary = source.map({ vrrpAddress($0) }) ?? placeholder else { return fail("bad source address") }
        var s = InstanceSettings(name: i.name, vrid: i.virtualRouterID,
                                 version: i.version == .v3 ? .v3 : .v2, priority: i.priority,
                                 advertInterval: microseconds(i.advertInterval),
                                 initialState: i.initialState == .master ? .master : .backup,
                                 virtualAddresses: vips, primaryAddress: primary)
        s.noPreempt = i.noPreempt
        s.preemptDelay = microseconds(i.preemptDelay)
        s.unicastPeers = i.unicastPeers.compactMap { p in
            vrrpAddress(p.address).map { UnicastPeer($0, minTTL: p.minimumTTL, maxTTL: p.maximumTTL) }
        }
        if let group = i.multicastGroup, let g = vrrpAddress(group) { s.multicastGroup = g }
        if let auth = i.authentication, auth.kind == .pass, s.version == .v2 {
            s.authType = .simplePassword
            s.authData = auth.authenticationData
        }
        s.downTimerAdverts = UInt64(i.downTimerAdverts)
        s.lowerPriorityNoAdvert = i.lowerPriorityNoAdvert
        s.higherPrioritySendAdvert = i.higherPrioritySendAdvert
        s.skipCheckAdvertAddresses = i.skipCheckAdvertAddresses
        s.checkUnicastSource = i.unicastPeers.contains { $0.ttlCheckConfigured }
        s.garpMasterDelay = microseconds(i.garp.masterDelay)
        s.garpMasterRepeat = Int(i.garp.masterRepeat)
        s.garpMasterRefresh = microseconds(i.garp.masterRefresh)
        s.garpMasterRefreshRepeat = Int(i.garp.masterRefreshRepeat)
        s.garpLowerPriorityDelay = microseconds(i.garp.lowerPriorityDelay)
        s.garpLowerPriorityRepeat = Int(i.garp.lowerPriorityRepeat)
        s.startupDelay = microseconds(global.vrrp.startupDelay)
        s.syncGroupMember = group != nil

        // Sync-group members keep tracking weights only with sync_group_tracking_weight (keepalived sets them to 0).
        let keepWeights = group?.trackingWeight ?? true
        var tracking = TrackingPlan()
        // A weight on the track_script line overrides the vrrp_script's own.
        for t in i.trackScripts + (group?.trackScripts ?? []) where !tracking.scripts.contains(where: { $0.name == t.name }) {
            guard let script = vrrp.script(named: t.name) else { continue }
            tracking.scripts.append(TrackedItem(name: t.name, weight: keepWeights ? (t.weight ?? script.weight) : 0,
                                                reverse: t.reverse ?? script.weightReverse))
        }
        for t in i.trackFiles + (group?.trackFiles ?? []) {
            guard let file = vrrp.trackFiles.first(where: { $0.name == t.name }), let path = file.path else { continue }
            var planned = TrackedFilePlan(name: t.name, path: path, weight: keepWeights ? (t.weight ?? file.weight) : 0,
                                          reverse: t.reverse || file.reverse)
            if let initFile = file.initFile {
                planned.initValue = initFile.first { $0 != "overwrite" }.flatMap { Int($0) } ?? 0
                planned.overwrite = initFile.contains("overwrite")
            }
            tracking.files.append(planned)
        }
        if !i.dontTrackPrimary { tracking.interfaces.append(TrackedItem(name: interface, weight: 0)) }
        for t in i.trackInterfaces + (group?.trackInterfaces ?? []) where !tracking.interfaces.contains(where: { $0.name == t.interface }) {
            tracking.interfaces.append(TrackedItem(name: t.interface, weight: keepWeights ? t.weight : 0, reverse: t.reverse))
        }
        var routes: [PlannedRoute] = []
        for r in i.virtualRoutes {
            guard let planned = route(r) else { return fail("virtual_routes: \(r.location): cannot be used") }
            routes.append(planned)
        }
        var planned = InstancePlan(
            name: i.name, interface: interface, settings: s, sourceGiven: source != nil,
            addresses: advertised + excluded, routes: routes, tracking: tracking, notify: notify(i),
            syncGroup: group?.name, smtpAlert: i.smtpAlert, location: i.location.description)
        planned.announceSpacing = family == .ipv4 ? global.vrrp.garpInterval : global.vrrp.gnaInterval
        planned.notifyPriorityChanges = i.notifyPriorityChanges ?? group?.notifyPriorityChanges ?? global.vrrp.notifyPriorityChanges
        return .success(planned)
    }

    static func notify(_ t: some VRRPTrackingAndNotify) -> NotifyPlan {
        var n = NotifyPlan()
        n.master = t.notifyMaster.map { program($0) }
        n.backup = t.notifyBackup.map { program($0) }
        n.fault = t.notifyFault.map { program($0) }
        n.stop = t.notifyStop.map { program($0, timeout: .seconds(1)) }
        n.generic = t.notify.map { program($0) }
        if let i = t as? KeepalivedConfig.VRRPInstance {
            n.masterRxLowerPriority = i.notifyMasterRxLowerPriority.map { program($0) }
            if let deleted = i.notifyDeleted {
                n.notifyDeleted = true
                n.deleted = deleted.map { program($0) }
            }
        }
        return n
    }

    static func program(_ c: ScriptCommand, timeout: Duration? = nil) -> ProgramSpec {
        ProgramSpec(arguments: c.arguments, user: c.user, group: c.group, timeout: timeout)
    }

    static func address(_ a: KeepalivedConfig.VRRPAddress, advertised: Bool) -> PlannedAddress? {
        guard let ip = vrrpAddress(a.address) else { return nil }
        var out = InterfaceAddress(ip, prefixLength: a.prefixLength, broadcast: a.broadcast.flatMap { vrrpAddress($0) },
                                   label: a.label, scope: AddressScope(rawValue: a.scope ?? 0))
        if a.home { out.flags |= 0x10 }
        if a.noDAD { out.flags |= AddressFlags.noDAD }
        if a.manageTemporaryAddress { out.flags |= 0x100 }
        if a.noPrefixRoute { out.flags |= AddressFlags.noPrefixRoute }
        if let lft = a.preferredLifetime { out.preferredLifetime = lft == UInt32.max ? nil : lft }
        return PlannedAddress(address: out, device: a.device, noTrack: a.noTrack, advertised: advertised)
    }

    static func route(_ r: VRRPRoute) -> PlannedRoute? {
        let any: VRRP.VRRPAddress = r.family == .inet6 ? .v6([UInt8](repeating: 0, count: 16)) : .v4(0)
        guard let destination = r.destination.map({ vrrpAddress($0) }) ?? any else { return nil }
        let type: RouteType = switch r.type {
        case "blackhole": .blackhole
        case "unreachable": .unreachable
        case "prohibit": .prohibit
        case "local": .local
        default: .unicast
        }
        let route = Route(to: destination, prefixLength: r.destination == nil ? 0 : r.prefixLength,
                          via: r.via.flatMap { vrrpAddress($0) }, src: r.source.flatMap { vrrpAddress($0) },
                          metric: r.metric, table: r.table, scope: AddressScope(rawValue: r.scope),
                          proto: r.protocolNumber, type: type)
        return PlannedRoute(route: route, device: r.device)
    }

    static func vrrpAddress(_ ip: some CustomStringConvertible) -> VRRP.VRRPAddress? {
        VRRP.VRRPAddress(ip.description)
    }

    static func microseconds(_ d: Duration) -> UInt64 {
        let (s, a) = d.components
        return UInt64(max(0, s)) * 1_000_000 + UInt64(max(0, a / 1_000_000_000_000))
    }
}
