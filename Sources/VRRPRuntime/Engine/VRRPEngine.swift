import IPVSKit
import KeepalivedNotify
import Logging
import ProgramRunner
import VRRP
import VRRPNetwork

/// lvsd's VRRP: every planned instance's core state machine (``VRRP/VRRPInstance``) driven on real time, with its
/// effects. One actor; nothing in it blocks or waits for I/O:
///
/// * adverts go out on the instance's raw socket at once (a `sendto` on a raw socket does not block);
/// * received adverts are checked (``ReceiveValidator``, keepalived's order) and counted by drop reason;
/// * VIPs, routes, gratuitous ARP / NA bursts and the IPVS sync daemon's role go, in order, to one thread of their
///   own (``RouteNetlink/enqueue(_:)``), so a VIP is always added before it is announced;
/// * timers are tasks sleeping until the instant the core asked for; a stale one is ignored by the core;
/// * link and address events (``LinkWatcher``) feed interface tracking and restore VIPs deleted by hand;
/// * `vrrp_script`s run through ``ScriptTracker``; notify scripts through ``Notifier``.
public actor VRRPEngine {
    /// One running instance. A class, confined to the actor: at 1,000 adverts a second, copying a struct of this
    /// size out of the dictionary and back for every packet cost more than the protocol.
    private final class Running {
        var plan: InstancePlan
        var core: VRRP.VRRPInstance
        var tracking: TrackingState
        var interface: NetworkInterface?
        var socket: SocketKey?
        /// What received adverts must match (the core's settings, computed once).
        var expectations: ReceiveExpectations
        /// The address our adverts go out from (the core's, kept here so the receive path reads no copy of it).
        var ownAddress: VRRP.VRRPAddress
        /// `vrrp_skip_check_adv_addr` (the core's setting, as above).
        var skipsAddressCheck: Bool
        var identification = IPv4IdentificationCounter()
        /// Per armed timer kind, the executor's timer token and the instant it is scheduled for. A re-arm to a
        /// later instant (a BACKUP hearing its master) changes nothing: when the token comes due the core's later
        /// deadline is found and the token scheduled again.
        var timers = TimerTable<TimerSlot>()
        var counters = InstanceCounters()
        var addressesPresent = false
        /// Another member of the instance's sync group is in FAULT.
        var groupFault = false
        /// Lower-priority adverts heard in a row while MASTER (a peer that keeps claiming MASTER).
        var lowerPriorityInARow = 0
        /// A reload removed it: its shutdown notifies DELETED (or FAULT), not STOP.
        var deleting = false
        /// Its index in the engine's table of running instances, carried in its timer tokens.
        let slot: Int
        /// The advert last sent and its packets: the next identical advert (a MASTER's every interval) is the same
        /// packets with the next IPv4 identification, as keepalived updates its one built packet.
        var sentAdvert: Advertisement?
        var sentPackets: [OutgoingPacket] = []
        /// The checksum form they were built with (the core may switch to the old unicast form on receive).
        var sentForm: ChecksumForm?

        init(plan: InstancePlan, core: VRRP.VRRPInstance, tracking: TrackingState, interface: NetworkInterface?, slot: Int) {
            self.slot = slot
            self.plan = plan
            self.core = core
            self.tracking = tracking
            self.interface = interface
            expectations = core.settings.receiveExpectations
            ownAddress = core.settings.primaryAddress
            skipsAddressCheck = core.settings.skipCheckAdvertAddresses
        }

        /// Takes the settings derived from the core again (after a reconfiguration).
        func refreshDerived() {
            expectations = core.settings.receiveExpectations
            ownAddress = core.settings.primaryAddress
            skipsAddressCheck = core.settings.skipCheckAdvertAddresses
            sentAdvert = nil
            sentPackets = []
        }
    }

    /// The instances reading one socket, by VRID (a received advert finds its instance by index, without
    /// hashing). @unchecked: touched only on the engine's thread (the actor and its socket callbacks).
    private final class VRIDTable: @unchecked Sendable {
        var slots = [Running?](repeating: nil, count: 256)
    }

    private struct SocketKey: Hashable {
        var interfaceIndex: Int32
        var family: VRRP.AddressFamily
        var mode: VRRPSocket.Mode
    }

    private var plan: VRRPPlan
    private var instances: [String: Running] = [:]
    private var order: [String] = []
    private var sockets: [SocketKey: VRRPSocket] = [:]
    /// The sockets' read buffer (one: every read happens on the engine's thread).
    private var receiveBuffer: [UInt8] = []
    /// Which instance takes an advert: by socket, then VRID.
    private var byVRID: [SocketKey: VRIDTable] = [:]
    private var interfacesByName: [String: NetworkInterface] = [:]
    private var watcherTask: Task<Void, Never>?
    private var scripts: ScriptTracker
    private var files: FileTracker
    private var fileValues: [String: Int] = [:]
    private var fifos: [NotifyFifo] = []
    private var started = false
    private var stopped = false
    /// `notify_stop` and `notify ... STOP` scripts started while stopping, waited for (1 s at most) before the end.
    private var stopScripts: [ProgramSpec] = []
    /// The state each sync group last notified (all members reached it).
    private var groupStates: [String: VRRPState] = [:]
    /// Groups being synchronised now (a member's transition moving the others), so the moves do not recurse.
    private var syncing: Set<String> = []
    private let netlink: RouteNetlink
    private let announcer: AddressAnnouncer
    private let watcher: LinkWatcher
    private let ipvs: IPVSClient?
    private let runner: ProgramRunner
    private let notifier: Notifier
    private let logger: Logger
    private let namespace: String?
    private let mail: (@Sendable (_ kind: String, _ name: String, _ event: VRRPMailEvent) -> Void)?
    private nonisolated let executor: EngineExecutor
    /// The running instances by ``Running/slot``, for the timer path: a token names its instance's slot and timer
    /// kind, so a timer coming due finds its instance by index (no hashing of names per advert).
    private var runningBySlot: [Running?] = []
    private var freeSlots: [Int] = []
    /// Counts timer arms: each token is unique (a stale token in the executor's heap never matches a slot).
    private var timerSerial = 0
    private var spareActions: [InstanceAction] = []

    /// The engine runs on a thread of its own that also reads the VRRP sockets (``EngineExecutor``).
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Opens the rtnetlink socket, the link watcher and the announcer's packet socket (in `networkNamespace`, `nil`:
    /// the calling thread's), and the IPVS client when the plan has an `lvs_sync_daemon`. Starts nothing.
    /// - Parameter mail: sends an alert mail for an instance (`INSTANCE`) or group (`GROUP`): a state entered,
    ///   stopping, or deleted by a reload; called only where `smtp_alert` is on, never for FAULT with
    ///   `no_email_faults`, and must not wait.
    public init(plan: VRRPPlan, runner: ProgramRunner, logger: Logger, networkNamespace: String? = nil,
                mail: (@Sendable (_ kind: String, _ name: String, _ event: VRRPMailEvent) -> Void)? = nil) throws(NetworkError) {
        self.mail = mail
        do { executor = try EngineExecutor() } catch { throw NetworkError(error.description, .invalid("event loop")) }
        self.plan = plan
        self.runner = runner
        self.logger = logger
        self.namespace = networkNamespace
        netlink = try RouteNetlink(networkNamespace: networkNamespace)
        announcer = try AddressAnnouncer(networkNamespace: networkNamespace)
        watcher = try LinkWatcher(networkNamespace: networkNamespace)
        ipvs = plan.syncDaemon == nil ? nil : try? IPVSClient(networkNamespace: networkNamespace)
        notifier = Notifier(runner: runner, logger: logger)
        scripts = ScriptTracker(scripts: Array(plan.scripts.values), runner: runner, logger: logger)
        files = FileTracker(files: plan.instances.flatMap(\.tracking.files), logger: logger)
    }

    // The executor's callbacks (socket readable, timer due, deadline asked) come only on the loop's own thread, the
    // one the actor's jobs run on, so they may call the engine's isolated code directly. `assumeIsolated` would
    // check that on every packet, and a closure cast per call (`withoutActuallyEscaping`) allocated twice per
    // packet and timer; these are the isolated bodies cast once, to plain functions of the engine
    // (``EngineExecutor/checkIsolated()`` still guards every other entry).
    private typealias TimerCall = (VRRPEngine, Int, ContinuousClock.Instant) -> Void
    private typealias DeadlineCall = (VRRPEngine, Int) -> ContinuousClock.Instant?
    private typealias ReadCall = (VRRPEngine, VRRPSocket, VRIDTable, ContinuousClock.Instant) -> Void
    private nonisolated(unsafe) static let timerDueOnLoop = unsafeBitCast(
        { (engine: isolated VRRPEngine, token: Int, now: ContinuousClock.Instant) in engine.timerDue(token, now: now) }
            as (isolated VRRPEngine, Int, ContinuousClock.Instant) -> Void, to: TimerCall.self)
    private nonisolated(unsafe) static let deadlineOnLoop = unsafeBitCast(
        { (engine: isolated VRRPEngine, token: Int) in engine.currentDeadline(token) }
            as (isolated VRRPEngine, Int) -> ContinuousClock.Instant?, to: DeadlineCall.self)
    private nonisolated(unsafe) static let readOnLoop = unsafeBitCast(
        { (engine: isolated VRRPEngine, socket: VRRPSocket, table: VRIDTable, now: ContinuousClock.Instant) in
            socket.drain(buffer: &engine.receiveBuffer) { engine.receive($0, from: table, at: now) }
        } as (isolated VRRPEngine, VRRPSocket, VRIDTable, ContinuousClock.Instant) -> Void, to: ReadCall.self)

    // MARK: - Life cycle

    /// Starts every instance (each first removes VIPs a killed predecessor left), the watcher and the scripts.
    public func start() async {
        guard !started else { return }
        started = true
        executor.setTimerHandler { [weak self] token, now in
            guard let self else { return }
            Self.timerDueOnLoop(self, token, now)
        }
        executor.setTimerResolver { [weak self] token in
            guard let self else { return nil }
            return Self.deadlineOnLoop(self, token)
        }
        let events = watcher.events
        watcherTask = Task { [weak self] in
            for await event in events { await self?.handle(event) }
        }
        await refreshInterfaces()
        openFifos()
        fileValues = await files.start { name, value in Task { [weak self] in await self?.fileChanged(name, value: value) } }
        addStatic(plan.staticAddresses, plan.staticRoutes)
        startSyncDaemon()
        for instancePlan in plan.instances { await startInstance(instancePlan) }
        scripts.start { [weak self] name, up in await self?.scriptChanged(name, up: up) }
    }

    /// Stops every instance as keepalived does (a MASTER sends priority 0 and drops its VIPs; `notify_stop`),
    /// then waits until the address changes are done.
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        scripts.stop()
        files.stop()
        watcherTask?.cancel()
        watcher.stop()
        for name in order { stopInstance(name) }
        // keepalived gives notify_stop a second before it exits.
        let runner = self.runner
        await withTaskGroup(of: Void.self) { group in
            for var spec in stopScripts {
                spec.timeout = .seconds(1)
                group.addTask { _ = await runner.run(spec) }
            }
        }
        stopScripts = []
        fifos = []
        removeStatic(plan.staticAddresses, plan.staticRoutes)
        stopSyncDaemons()
        for socket in sockets.values {
            executor.unwatch(socket.receiveDescriptor)
            socket.stop()
        }
        sockets = [:]
        _ = try? await netlink.perform { _ in () }
    }

    /// The instances now, in plan order.
    public func status() -> [InstanceStatus] {
        let now = ContinuousClock.now
        return order.compactMap { name in
            guard let r = instances[name] else { return nil }
            return InstanceStatus(
                name: name, interface: r.plan.interface, vrid: r.plan.settings.vrid,
                version: r.plan.settings.version == .v3 ? 3 : 2, state: r.core.state,
                basePriority: r.plan.settings.priority, effectivePriority: r.core.effectivePriority,
                masterAddress: r.core.state == .master ? r.core.settings.primaryAddress.description : r.core.masterAddress?.description,
                lastAdvertAge: r.counters.lastAdvert.map { Self.seconds($0.duration(to: now)) },
                advertsSent: r.counters.advertsSent, advertsReceived: r.counters.advertsReceived,
                drops: r.counters.drops, transitions: r.counters.transitions, splitBrain: r.counters.splitBrain,
                addresses: r.plan.addresses.filter(\.advertised).map { $0.address.address.description })
        }
    }

    /// Takes a new plan (a reload): instances gone are stopped, new ones started; one whose planned settings are
    /// unchanged keeps running untouched, with its notify scripts and tracking weights updated; any other change
    /// restarts it.
    public func apply(_ new: VRRPPlan) async {
        let old = plan
        plan = new
        let newNames = Set(new.instances.map(\.name))
        for name in order where !newNames.contains(name) {
            logger.info("(\(name)) removed by reload")
            deleteInstance(name)
            instances[name] = nil
        }
        order.removeAll { !newNames.contains($0) }
        scripts.stop()
        scripts = ScriptTracker(scripts: Array(new.scripts.values), runner: runner, logger: logger)
        if old.instances.flatMap(\.tracking.files) != new.instances.flatMap(\.tracking.files) {
            files.stop()
            files = FileTracker(files: new.instances.flatMap(\.tracking.files), logger: logger)
            fileValues = await files.start { name, value in Task { [weak self] in await self?.fileChanged(name, value: value) } }
        }
        if old.fifos != new.fifos {
            fifos = []
            openFifos()
        }
        removeStatic(old.staticAddresses.filter { !new.staticAddresses.contains($0) },
                     old.staticRoutes.filter { !new.staticRoutes.contains($0) })
        addStatic(new.staticAddresses.filter { !old.staticAddresses.contains($0) },
                  new.staticRoutes.filter { !old.staticRoutes.contains($0) })
        let initial = scripts.initialStates
        for p in new.instances {
            if let r = instances[p.name] {
                if Self.sameCore(r.plan, p) {
                    r.plan = p
                    if r.tracking.plan != p.tracking {
                        r.tracking = TrackingState(plan: p.tracking, initialScripts: initial)
                        instances[p.name] = r
                        refreshTracking(p.name)
                    } else {
                        instances[p.name] = r
                    }
                    continue
                }
                if reconfigure(p.name, to: p) { continue }
                logger.info("(\(p.name)) changed by reload: restarting it")
                stopInstance(p.name)
                instances[p.name] = nil
                order.removeAll { $0 == p.name }
            }
            await startInstance(p)
        }
        order = new.instances.map(\.name).filter { instances[$0] != nil }
        if old.syncDaemon != new.syncDaemon {
            stopSyncDaemons()
            startSyncDaemon()
        }
        scripts.start { [weak self] name, up in await self?.scriptChanged(name, up: up) }
    }

    /// Applies a reload's changes to a running instance without a state change when the core allows it (same VRID,
    /// version, source, cast mode): new VIPs added (and announced) and removed ones deleted while MASTER, the new
    /// base priority applied through tracking. Returns false when the instance must restart.
    private func reconfigure(_ name: String, to p: InstancePlan) -> Bool {
        guard let r = instances[name], r.plan.interface == p.interface, r.plan.sourceGiven == p.sourceGiven else { return false }
        var settings = p.settings
        if !p.sourceGiven { settings.primaryAddress = r.core.settings.primaryAddress }
        guard r.core.canReconfigure(to: settings) else { return false }
        let old = r.plan
        for w in r.core.reconfigure(settings) { logger.warning("\(w)") }
        r.refreshDerived()
        r.plan = p
        if r.tracking.plan != p.tracking {
            var tracking = TrackingState(plan: p.tracking, initialScripts: scripts.initialStates)
            for f in p.tracking.files { tracking.setFile(f.name, value: fileValues[f.name] ?? 0) }
            for item in p.tracking.interfaces {
                let iface = interfacesByName[item.name] ?? (item.name == p.interface ? r.interface : nil)
                tracking.setInterface(item.name, up: iface.map { $0.isUp && $0.isRunning } ?? false)
            }
            r.tracking = tracking
        }
        instances[name] = r
        let added = p.addresses.filter { !old.addresses.contains($0) }
        let removed = old.addresses.filter { !p.addresses.contains($0) }
        var changes: [String] = []
        if old.settings.priority != p.settings.priority { changes.append("priority \(old.settings.priority) -> \(p.settings.priority)") }
        if !added.isEmpty || !removed.isEmpty { changes.append("VIPs +\(added.count) -\(removed.count)") }
        logger.info("(\(name)) reconfigured by reload without a state change\(changes.isEmpty ? "" : " (" + changes.joined(separator: ", ") + ")")")
        if r.addressesPresent {
            var gone = old, new = p
            gone.addresses = removed
            gone.routes = old.routes.filter { !p.routes.contains($0) }
            new.addresses = added
            new.routes = p.routes.filter { !old.routes.contains($0) }
            changeAddresses(gone, add: false)
            changeAddresses(new, add: true)
            if !added.isEmpty { announce(new, count: p.settings.garpMasterRepeat) }
        }
        refreshTracking(name)
        return true
    }

    private static func sameCore(_ a: InstancePlan, _ b: InstancePlan) -> Bool {
        a.settings == b.settings && a.interface == b.interface && a.addresses == b.addresses && a.routes == b.routes
            && a.sourceGiven == b.sourceGiven
    }

    // MARK: - Instances

    private func startInstance(_ p: InstancePlan) async {
        var settings = p.settings
        var interface: NetworkInterface?
        do throws(NetworkError) {
            let iface = try await netlink.perform { (nl) throws(NetworkError) in try nl.interface(named: p.interface) }
            interface = iface
            interfacesByName[iface.name] = iface
            if !p.sourceGiven {
                let family = settings.family
                let vips = Set(p.addresses.map(\.address.address))
                let found = try await netlink.perform { (nl) throws(NetworkError) in try nl.addresses(on: iface) }
                guard let primary = Self.primaryAddress(found, family: family, excluding: vips) else {
                    throw NetworkError("find a \(family == .ipv4 ? "IPv4" : "IPv6 link-local") address on \(iface.name) for adverts",
                                       .invalid("none configured"))
                }
                settings.primaryAddress = primary
            }
        } catch {
            logger.error("(\(p.name)) \(error): the instance starts in FAULT")
        }
        var tracking = TrackingState(plan: p.tracking, initialScripts: scripts.initialStates)
        for f in p.tracking.files { tracking.setFile(f.name, value: fileValues[f.name] ?? 0) }
        for item in p.tracking.interfaces {
            let known = item.name == p.interface ? interface : interfacesByName[item.name]
            tracking.setInterface(item.name, up: known.map { $0.isUp && $0.isRunning } ?? false)
        }
        let slot = freeSlots.popLast() ?? runningBySlot.count
        if slot == runningBySlot.count { runningBySlot.append(nil) }
        let running = Running(plan: p, core: VRRP.VRRPInstance(settings: settings), tracking: tracking, interface: interface,
                              slot: slot)
        runningBySlot[slot] = running
        for w in running.core.configurationWarnings { logger.warning("\(w)") }
        if let interface {
            let mode: VRRPSocket.Mode = settings.unicastPeers.isEmpty ? .multicast(group: settings.multicastGroup)
                                                                      : .unicast(local: settings.primaryAddress)
            let key = SocketKey(interfaceIndex: interface.index, family: settings.family, mode: mode)
            if sockets[key] == nil {
                do throws(NetworkError) {
                    let socket = try VRRPSocket(family: settings.family, interface: interface, mode: mode,
                                                source: settings.primaryAddress, networkNamespace: namespace,
                                                receiveThread: false)
                    sockets[key] = socket
                    let table = VRIDTable()
                    byVRID[key] = table
                    // Read on this actor's own thread: no hand-over per packet, no lookup of the socket's instances.
                    executor.watch(socket.receiveDescriptor) { [weak self, socket] now in
                        guard let self else { return }
                        Self.readOnLoop(self, socket, table, now)
                    }
                } catch {
                    logger.error("(\(p.name)) \(error)")
                }
            }
            if sockets[key] != nil { running.socket = key }
        }
        instances[p.name] = running
        if !order.contains(p.name) { order.append(p.name) }
        if let key = running.socket { byVRID[key]?.slots[Int(settings.vrid)] = running }
        let faulted = tracking.isFaulted || running.socket == nil
        perform(p.name, event: .start(faulted: faulted))
        if !tracking.plan.scripts.isEmpty || !tracking.plan.interfaces.isEmpty || !tracking.plan.files.isEmpty {
            perform(p.name, event: .priorityChanged(total: Int(p.settings.priority) + tracking.weightTotal))
        }
    }

    private func stopInstance(_ name: String) {
        guard let r = instances[name] else { return }
        perform(name, event: .shutdown)
        r.timers = TimerTable()
        if runningBySlot[r.slot] === r {
            runningBySlot[r.slot] = nil
            freeSlots.append(r.slot)
        }
        if let key = r.socket, let table = byVRID[key], table.slots[Int(r.core.settings.vrid)] === r {
            table.slots[Int(r.core.settings.vrid)] = nil
        }
    }

    /// keepalived's `clear_diff_vrrp` for an instance a reload removed: a MASTER sends priority 0 and drops its
    /// VIPs; then DELETED notifies (`notify_deleted`), or FAULT without it unless it was in FAULT already.
    private func deleteInstance(_ name: String) {
        guard let r = instances[name] else { return }
        let wasFault = r.core.state == .fault
        r.deleting = true
        stopInstance(name)
        guard let (state, programs) = Notifier.deletion(for: r.plan.notify, name: name, wasFault: wasFault,
                                                        priority: r.core.effectivePriority) else { return }
        programs.forEach(notifier.start)
        writeFifos(kind: "INSTANCE", name: name, state: state, priority: r.core.effectivePriority)
        if r.plan.smtpAlert { alert("INSTANCE", name, r.plan.notify.notifyDeleted ? .deleted : .entered(.fault)) }
    }

    /// The address adverts are sent from: IPv4, the interface's first primary (not secondary) address that is not
    /// a VIP; IPv6, its link-local address.
    static func primaryAddress(_ addresses: [InterfaceAddress], family: VRRP.AddressFamily,
                               excluding vips: Set<VRRP.VRRPAddress>) -> VRRP.VRRPAddress? {
        let candidates = addresses.filter { $0.address.family == family && !vips.contains($0.address) }
        switch family {
        case .ipv4:
            return (candidates.first { $0.flags & AddressFlags.secondary == 0 } ?? candidates.first)?.address
        case .ipv6:
            return candidates.first { $0.address.isLinkLocal }?.address
        }
    }

    // MARK: - Events

    private func receive(_ received: VRRPReceived, from table: VRIDTable, at now: ContinuousClock.Instant) {
        guard !stopped, let vrid = ReceiveValidator.vrid(of: received.packet), let r = table.slots[Int(vrid)] else { return }
        var check = true
        if r.skipsAddressCheck, let source = received.packet.source ?? Self.ipv4Source(received.packet.bytes) {
            check = r.core.shouldCheckAddresses(from: source)
        }
        switch ReceiveValidator.validate(received.packet, expecting: r.expectations, checkAddresses: check) {
        case .success(let advert):
            if advert.source == r.ownAddress { return }  // our own, looped back
            r.counters.advertsReceived += 1
            r.counters.lastAdvert = now
            perform(r, event: .advert(advert), at: now)
        case .failure(let reason):
            let name = r.plan.name
            r.counters.drops[reason.name, default: 0] += 1
            let source = received.packet.source ?? Self.ipv4Source(received.packet.bytes)
            if r.core.state == .master, let cause = SplitBrain.cause(of: reason) {
                let first = r.counters.splitBrain[cause] == nil
                r.counters.splitBrain[cause, default: 0] += 1
                if first {
                    logger.error("(\(name)) split brain: MASTER heard VRID \(vrid) from \(source.map(\.description) ?? "?") but ignores it (\(cause) differs: \(reason)); both may hold the VIPs")
                }
            }
            if let line = reason.logLine(instance: name, vrid: vrid) { logger.info("\(line)") }
        }
    }

    private static func ipv4Source(_ bytes: [UInt8]) -> VRRP.VRRPAddress? {
        bytes.count >= 20 ? VRRP.VRRPAddress(bytes: bytes[12..<16]) : nil
    }

    /// A timer token came due: fire the core's timer if it is due, or schedule the token again for the core's
    /// later deadline; a token replaced or cancelled meanwhile is dropped.
    private func timerDue(_ token: Int, now: ContinuousClock.Instant) {
        guard !stopped, let (r, kind) = owner(of: token) else { return }
        guard let due = r.core.timers[kind] else {
            r.timers[kind] = nil
            return
        }
        if due <= now {
            perform(r, event: .timerFired(kind), at: now)
            // The event usually re-arms the same kind later (the next advert): that arming was folded into this
            // token, since it was scheduled no later.
            guard r.timers[kind]?.token == token, let next = r.core.timers[kind] else {
                if r.timers[kind]?.token == token { r.timers[kind] = nil }
                return
            }
            reschedule(r, kind, token: token, at: next)
        } else {
            reschedule(r, kind, token: token, at: due)
        }
    }

    /// A token for `kind` of the instance in `slot`: the arm's serial number above the slot and kind.
    private static func token(serial: Int, slot: Int, kind: TimerKind) -> Int {
        let k = switch kind {
        case .masterDown: 0
        case .advert: 1
        case .garpMasterDelay: 2
        case .garpLowerPriorityDelay: 3
        }
        return serial &<< 32 | slot << 2 | k
    }

    /// The instance and timer kind a token was armed for, when that arm is still its current one.
    private func owner(of token: Int) -> (Running, TimerKind)? {
        let slot = (token >> 2) & 0x3fff_ffff
        let kind: TimerKind = switch token & 3 {
        case 0: .masterDown
        case 1: .advert
        case 2: .garpMasterDelay
        default: .garpLowerPriorityDelay
        }
        guard slot < runningBySlot.count, let r = runningBySlot[slot], r.timers[kind]?.token == token else { return nil }
        return (r, kind)
    }

    /// The instant `token` should fire at now: later than scheduled when the core re-armed that timer later (a
    /// BACKUP's Master_Down pushed back by every advert); `nil` when it was cancelled or replaced.
    private func currentDeadline(_ token: Int) -> ContinuousClock.Instant? {
        guard !stopped, let (r, kind) = owner(of: token), let slot = r.timers[kind] else { return nil }
        guard let due = r.core.timers[kind] else {
            r.timers[kind] = nil
            return nil
        }
        if due != slot.until { r.timers[kind] = TimerSlot(token: token, until: due) }
        return due
    }

    private func reschedule(_ r: Running, _ kind: TimerKind, token: Int, at deadline: ContinuousClock.Instant) {
        r.timers[kind] = TimerSlot(token: token, until: deadline)
        executor.schedule(token, at: deadline)
    }

    private func scriptChanged(_ script: String, up: Bool) {
        guard !stopped else { return }
        for name in order where instances[name]?.tracking.setScript(script, up: up) == true {
            refreshTracking(name)
        }
    }

    private func fileChanged(_ file: String, value: Int) {
        guard !stopped else { return }
        fileValues[file] = value
        for name in order where instances[name]?.tracking.setFile(file, value: value) == true {
            refreshTracking(name)
        }
    }

    private func openFifos() {
        for f in plan.fifos {
            do throws(NotifyFifo.Failure) {
                fifos.append(try NotifyFifo(path: f.path))
                if let script = f.script { notifier.start(script) }
            } catch {
                logger.error("\(error)")
            }
        }
    }

    private func alert(_ kind: String, _ name: String, _ event: VRRPMailEvent) {
        guard let mail, !(event == .entered(.fault) && plan.noEmailFaults) else { return }
        mail(kind, name, event)
    }

    private func writeFifos(kind: String, name: String, state: String, priority: UInt8) {
        let line = NotifyFifoLine.vrrp(kind: kind, name: name, state: state, priority: priority)
        for f in fifos where !f.write(line) { logger.debug("notify FIFO \(f.path) full: lost \(line)") }
    }

    private func handle(_ event: NetlinkEvent) async {
        guard !stopped else { return }
        switch event {
        case .linkChanged(let iface), .linkRemoved(let iface):
            let removed = if case .linkRemoved = event { true } else { false }
            let up = !removed && iface.isUp && iface.isRunning
            let was = interfacesByName[iface.name].map { $0.isUp && $0.isRunning }
            if removed { interfacesByName[iface.name] = nil } else { interfacesByName[iface.name] = iface }
            if was != up, was != nil || !up { logger.info("Netlink reports \(iface.name) \(up ? "up" : "down")") }
            for name in order {
                guard let r = instances[name] else { continue }
                if r.plan.interface == iface.name && !removed { r.interface = iface }
                let changed = r.tracking.setInterface(iface.name, up: up)
                instances[name] = r
                if changed { refreshTracking(name) }
            }
        case .addressRemoved(let address):
            for name in order {
                guard let r = instances[name], r.core.state == .master, r.addressesPresent else { continue }
                for planned in r.plan.addresses where planned.address.address == address.address && !planned.noTrack {
                    let device = planned.device ?? r.plan.interface
                    guard let iface = interfacesByName[device] ?? (device == r.plan.interface ? r.interface : nil),
                          address.interfaceIndex == nil || address.interfaceIndex == iface.index else { continue }
                    logger.warning("(\(name)) VIP \(planned.address.address) was deleted from \(device): restoring it")
                    let logger = self.logger
                    netlink.enqueue { nl in
                        do throws(NetworkError) { _ = try nl.addAddress(planned.address, to: iface) } catch {
                            logger.error("(\(name)) \(error)")
                        }
                    }
                }
            }
        case .eventsLost:
            await refreshInterfaces()
        case .addressAdded:
            break
        }
    }

    private func refreshTracking(_ name: String) {
        guard let r = instances[name] else { return }
        perform(name, event: .fault(r.tracking.isFaulted || r.socket == nil || r.groupFault))
        perform(name, event: .priorityChanged(total: Int(r.plan.settings.priority) + r.tracking.weightTotal))
    }

    private func refreshInterfaces() async {
        let names = Set(plan.instances.flatMap { p in [p.interface] + p.tracking.interfaces.map(\.name) + p.addresses.compactMap(\.device) })
        for name in names {
            if let iface = try? await netlink.perform({ (nl) throws(NetworkError) in try nl.interface(named: name) }) {
                interfacesByName[name] = iface
            }
        }
    }

    // MARK: - Actions

    private func perform(_ name: String, event: InstanceEvent) {
        guard let r = instances[name] else { return }
        perform(r, event: event, at: .now)
    }

    /// Applies an event to an instance found already (the receive and timer paths: no lookup by name).
    private func perform(_ r: Running, event: InstanceEvent, at now: ContinuousClock.Instant) {
        // One action buffer, reused (taken out while in use: actions may apply events to other instances).
        var actions = spareActions
        spareActions = []
        r.core.handle(event, at: now, into: &actions)
        for action in actions { perform(r, action) }
        actions.removeAll(keepingCapacity: true)
        spareActions = actions
    }

    private func perform(_ r: Running, _ action: InstanceAction) {
        let name = r.plan.name
        switch action {
        case .sendAdvert(let advert):
            guard let key = r.socket, let socket = sockets[key] else { return }
            do {
                let identification = r.identification.next()
                if r.sentAdvert == advert && r.sentForm == r.core.sendChecksumForm {
                    for i in r.sentPackets.indices { r.sentPackets[i].restamp(identification: identification) }
                } else {
                    r.sentPackets = try r.core.packets(for: advert, identification: identification)
                    r.sentAdvert = advert
                    r.sentForm = r.core.sendChecksumForm
                }
                for packet in r.sentPackets {
                    do throws(NetworkError) {
                        try socket.send(packet)
                        r.counters.advertsSent += 1
                    } catch {
                        r.counters.drops["send_failed", default: 0] += 1
                        if r.counters.drops["send_failed"] == 1 { logger.warning("(\(name)) \(error)") }
                    }
                }
            } catch {
                logger.error("(\(name)) cannot build an advert: \(error)")
            }
        case .armTimer(let kind, let instant):
            // A token scheduled no later than the new instant comes due, finds the new deadline and goes again.
            if let slot = r.timers[kind], slot.until <= instant { break }
            timerSerial &+= 1
            reschedule(r, kind, token: Self.token(serial: timerSerial, slot: r.slot, kind: kind), at: instant)
        case .cancelTimer:
            break  // the token comes due, finds the timer gone in the core and is dropped
        case .addAddresses:
            r.addressesPresent = true
            logger.debug("(\(name)) setting VIPs.")
            changeAddresses(r.plan, add: true)
        case .removeAddresses:
            r.addressesPresent = false
            logger.debug("(\(name)) removing VIPs.")
            changeAddresses(r.plan, add: false)
        case .sendGratuitousBurst(let count):
            announce(r.plan, count: count)
        case .transition(let from, let to):
            r.counters.transitions += from == .initialize ? 0 : 1
            r.lowerPriorityInARow = 0
            writeFifos(kind: "INSTANCE", name: name, state: to.rawValue, priority: r.core.effectivePriority)
            if r.plan.smtpAlert { alert("INSTANCE", name, .entered(to)) }
            notifier.notify(r.plan.notify, kind: "INSTANCE", name: name, state: to.rawValue, priority: r.core.effectivePriority)
            if plan.syncDaemon?.instance == name { switchSyncDaemon(master: to == .master) }
            if let group = r.plan.syncGroup { synchronise(group, after: name, from: from, to: to) }
        case .masterReceivedLowerPriority(let from, _):
            if let spec = r.plan.notify.masterRxLowerPriority { notifier.start(spec) }
            writeFifos(kind: "INSTANCE", name: name, state: "MASTER_RX_LOWER_PRI", priority: r.core.effectivePriority)
            // One such advert is an election settling; three in a row is a peer that keeps claiming MASTER (it
            // does not hear us, or ignores us): both hold the VIPs.
            r.lowerPriorityInARow += 1
            if r.lowerPriorityInARow == 3 {
                let cause = "lower-priority master"
                if r.counters.splitBrain[cause] == nil {
                    logger.error("(\(name)) split brain: \(from) keeps advertising as MASTER with a lower priority (it does not hear or does not accept our adverts); both may hold the VIPs")
                }
                r.counters.splitBrain[cause, default: 0] += 1
            }
        case .stopped:
            if r.deleting { break }  // a reload removed it: deleteInstance notifies
            let scripts = Notifier.programs(for: r.plan.notify, kind: "INSTANCE", name: name, state: "STOP",
                                            priority: r.core.effectivePriority)
            writeFifos(kind: "INSTANCE", name: name, state: "STOP", priority: r.core.effectivePriority)
            if r.plan.smtpAlert { alert("INSTANCE", name, .stopping) }
            if stopped { stopScripts += scripts } else { scripts.forEach(notifier.start) }
        case .log(let line):
            logger.info("\(line)")
        case .effectivePriorityChanged(let priority):
            // keepalived's send_instance_priority_notifies: FIFO lines only, no scripts.
            if r.plan.notifyPriorityChanges {
                writeFifos(kind: "INSTANCE", name: name, state: r.core.state == .master ? "MASTER_PRIORITY" : "BACKUP_PRIORITY",
                           priority: priority)
            }
        case .wantsMaster:
            if let group = r.plan.syncGroup, syncGroupLetsMaster(group, member: name) { perform(r, event: .follow(.master), at: .now) }
        }
    }

    /// keepalived's `vrrp_sync_can_goto_master`: a member may become MASTER when its group is MASTER already or
    /// when every other member wants MASTER too (is MASTER, or its own master-down timer ran out): BACKUP is
    /// preferred, so a group whose members still hear a master does not split.
    private func syncGroupLetsMaster(_ group: String, member: String) -> Bool {
        if groupStates[group] == .master { return true }
        guard let g = plan.syncGroups.first(where: { $0.name == group }) else { return true }
        return g.members.allSatisfy { m in
            guard m != member, let o = instances[m] else { return true }
            return o.core.state == .master || o.core.wantsMaster
        }
    }

    // MARK: - vrrp_sync_group

    /// keepalived's sync groups: a member entering MASTER takes the others' BACKUP members to MASTER; one leaving
    /// MASTER for BACKUP takes the others to BACKUP; one in FAULT holds the others in FAULT until it leaves it.
    /// When every member is in one state, the group's notifies run (`GROUP NAME STATE 0`).
    private func synchronise(_ group: String, after member: String, from: VRRPState, to: VRRPState) {
        guard let g = plan.syncGroups.first(where: { $0.name == group }) else { return }
        let others = g.members.filter { $0 != member && instances[$0] != nil }
        if !syncing.contains(group) {
            syncing.insert(group)
            defer { syncing.remove(group) }
            switch to {
            case .master where others.contains(where: { instances[$0]?.core.state == .backup }):
                logger.info("VRRP_Group(\(group)) Syncing instances to MASTER state")
                for o in others where instances[o]?.core.state == .backup { perform(o, event: .follow(.master)) }
            case .backup where from == .master && others.contains(where: { instances[$0]?.core.state == .master }):
                logger.info("VRRP_Group(\(group)) Syncing instances to BACKUP state")
                for o in others where instances[o]?.core.state == .master { perform(o, event: .follow(.backup)) }
            case .fault:
                logger.info("VRRP_Group(\(group)) Syncing instances to FAULT state")
                for o in others {
                    instances[o]?.groupFault = true
                    refreshTracking(o)
                }
            default:
                if from == .fault {
                    let stillFaulted = g.members.contains { m in
                        guard let i = instances[m] else { return false }
                        return i.tracking.isFaulted || i.socket == nil
                    }
                    if !stillFaulted {
                        for m in g.members where instances[m]?.groupFault == true {
                            instances[m]?.groupFault = false
                            refreshTracking(m)
                        }
                    }
                }
            }
        }
        let states = Set(g.members.compactMap { instances[$0]?.core.state })
        if states.count == 1, let state = states.first, state != .initialize, groupStates[group] != state {
            groupStates[group] = state
            notifier.notify(g.notify, kind: "GROUP", name: group, state: state.rawValue, priority: 0)
            writeFifos(kind: "GROUP", name: group, state: state.rawValue, priority: 0)
            if g.smtpAlert { alert("GROUP", group, .entered(state)) }
        }
    }

    /// Queues the instance's VIPs and routes to be added or removed, in order, on the netlink thread.
    private func changeAddresses(_ plan: InstancePlan, add: Bool) {
        let logger = self.logger, name = plan.name
        let targets = plan.addresses.map { ($0, $0.device ?? plan.interface) }
        let routes = plan.routes
        // The links the link watcher keeps current: no lookup before the VIPs go on (a takeover's critical path).
        var known: [String: NetworkInterface] = [:]
        for (_, device) in targets where known[device] == nil {
            if let iface = interfacesByName[device] ?? (device == plan.interface ? instances[plan.name]?.interface : nil) {
                known[device] = iface
            }
        }
        // On the engine's thread when the netlink thread is idle (a takeover's critical path: no thread to wake, as
        // keepalived adds its VIPs inline); queued behind earlier changes otherwise.
        netlink.enqueueOrRunHere { [known] nl in
            // One link lookup per device not known yet, not per address.
            var links = known
            for (planned, device) in targets {
                do throws(NetworkError) {
                    let iface: NetworkInterface
                    if let known = links[device] { iface = known } else { iface = try nl.interface(named: device) }
                    links[device] = iface
                    if add { _ = try nl.addAddress(planned.address, to: iface) } else { _ = try nl.deleteAddress(planned.address, from: iface) }
                } catch {
                    if add { logger.error("(\(name)) \(error)") } else { logger.debug("(\(name)) \(error)") }
                }
            }
            for planned in routes {
                do throws(NetworkError) {
                    var route = planned.route
                    if let dev = planned.device { route.interface = try nl.interface(named: dev) }
                    if add { _ = try nl.addRoute(route) } else { _ = try nl.deleteRoute(route) }
                } catch {
                    logger.error("(\(name)) \(error)")
                }
            }
        }
    }

    /// Queues one gratuitous ARP / unsolicited NA burst for every VIP, per device, after the address changes.
    private func announce(_ plan: InstancePlan, count: Int) {
        let logger = self.logger, name = plan.name, announcer = self.announcer, spacing = plan.announceSpacing
        var grouped: [String: [VRRP.VRRPAddress]] = [:]
        for planned in plan.addresses { grouped[planned.device ?? plan.interface, default: []].append(planned.address.address) }
        let byDevice = grouped.sorted { $0.key < $1.key }
        netlink.enqueue { nl in
            for (device, addresses) in byDevice {
                do throws(NetworkError) {
                    let iface = try nl.interface(named: device)
                    let router = addresses.contains { $0.family == .ipv6 } && announcer.isIPv6Forwarding(on: iface)
                    logger.debug("(\(name)) Sending/queueing gratuitous ARPs on \(device) for \(addresses.map(\.description).joined(separator: ", "))")
                    try announcer.sendBurst(addresses, on: iface, count: count, router: router, spacing: spacing)
                } catch {
                    logger.warning("(\(name)) \(error)")
                }
            }
        }
    }

    /// `static_ipaddress` and `static_routes`: added at start (and by a reload that adds them), whatever the state.
    private func addStatic(_ addresses: [PlannedAddress], _ routes: [PlannedRoute]) {
        changeStatic(addresses, routes, add: true)
    }

    /// Removes static addresses and routes (at stop, or those a reload dropped), as keepalived does.
    private func removeStatic(_ addresses: [PlannedAddress], _ routes: [PlannedRoute]) {
        changeStatic(addresses, routes, add: false)
    }

    private func changeStatic(_ addresses: [PlannedAddress], _ routes: [PlannedRoute], add: Bool) {
        let logger = self.logger
        for planned in addresses where planned.device == nil {
            if add { logger.error("static_ipaddress \(planned.address.address): needs dev") }
        }
        let addresses = addresses.filter { $0.device != nil }
        guard !addresses.isEmpty || !routes.isEmpty else { return }
        netlink.enqueue { nl in
            // keepalived's order: addresses before routes when adding, routes before addresses when removing.
            if add {
                Self.changeStaticAddresses(addresses, add: true, nl, logger)
                Self.changeStaticRoutes(routes, add: true, nl, logger)
            } else {
                Self.changeStaticRoutes(routes, add: false, nl, logger)
                Self.changeStaticAddresses(addresses, add: false, nl, logger)
            }
        }
    }

    private static func changeStaticAddresses(_ addresses: [PlannedAddress], add: Bool, _ nl: RouteNetlink, _ logger: Logger) {
        for planned in addresses {
            guard let device = planned.device else { continue }
            do throws(NetworkError) {
                let iface = try nl.interface(named: device)
                if add { _ = try nl.addAddress(planned.address, to: iface) } else { _ = try nl.deleteAddress(planned.address, from: iface) }
            } catch {
                if add { logger.error("static_ipaddress: \(error)") } else { logger.debug("static_ipaddress: \(error)") }
            }
        }
    }

    private static func changeStaticRoutes(_ routes: [PlannedRoute], add: Bool, _ nl: RouteNetlink, _ logger: Logger) {
        for planned in routes {
            do throws(NetworkError) {
                var route = planned.route
                if let dev = planned.device { route.interface = try nl.interface(named: dev) }
                if add { _ = try nl.addRoute(route) } else { _ = try nl.deleteRoute(route) }
            } catch {
                if add { logger.error("static_routes: \(error)") } else { logger.debug("static_routes: \(error)") }
            }
        }
    }

    // MARK: - lvs_sync_daemon

    private func syncDaemon(_ state: SyncDaemonState) -> SyncDaemon? {
        guard let d = plan.syncDaemon else { return nil }
        return SyncDaemon(state: state, interface: d.interface, syncID: d.syncID, maxLength: d.maxLength,
                          group: d.group.flatMap { IPAddress($0) }, port: d.port, ttl: d.ttl)
    }

    /// At start: the backup daemon (both when no instance is named).
    private func startSyncDaemon() {
        guard let d = plan.syncDaemon else { return }
        if d.instance == nil {
            setSyncDaemons(master: true, backup: true)
        } else {
            setSyncDaemons(master: false, backup: true)
        }
    }

    private func switchSyncDaemon(master: Bool) {
        setSyncDaemons(master: master, backup: !master)
    }

    private func stopSyncDaemons() {
        guard plan.syncDaemon != nil else { return }
        setSyncDaemons(master: false, backup: false)
    }

    private func setSyncDaemons(master: Bool, backup: Bool) {
        guard let ipvs, let m = syncDaemon(.master), let b = syncDaemon(.backup) else {
            if plan.syncDaemon != nil { logger.error("lvs_sync_daemon: no IPVS in this kernel") }
            return
        }
        let logger = self.logger
        netlink.enqueue { _ in
            let running = Set((try? ipvs.daemons())?.map(\.state) ?? [])
            for (want, daemon) in [(master, m), (backup, b)] {
                do throws(IPVSError) {
                    if want && !running.contains(daemon.state) {
                        try ipvs.startDaemon(daemon)
                        logger.info("Starting IPVS connection synchronization daemon (\(daemon.state == .master ? "master" : "backup"), \(daemon.interface), syncid \(daemon.syncID))")
                    } else if !want && running.contains(daemon.state) {
                        try ipvs.stopDaemon(daemon.state)
                        logger.info("Stopping IPVS connection synchronization daemon (\(daemon.state == .master ? "master" : "backup"))")
                    }
                } catch {
                    logger.error("lvs_sync_daemon: \(error)")
                }
            }
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) + Double(a) / 1e18
    }
}

/// An armed timer of a running instance: the executor's token and the instant it is scheduled for.
struct TimerSlot: Sendable {
    var token: Int
    var until: ContinuousClock.Instant
}
