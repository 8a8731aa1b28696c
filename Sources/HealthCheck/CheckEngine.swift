import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Runs every checker on one event loop: timers, sockets and MISC children are all non-blocking, so a single
/// thread serves thousands of checks (no thread or task per check).
///
/// Identical checks (equal ``CheckSpec``: same type, target, parameters and timers) are deduplicated: one
/// probe and one state machine serve every subscriber, and each subscriber receives its own
/// ``CheckTransition``.
///
/// ```swift
/// let engine = CheckEngine(logger: logger)
/// Task { for await change in engine.transitions { director.apply(change) } }
/// await engine.apply(configs)          // start-up and every reload
/// await engine.remove(id)              // or add(_:) one checker
/// await engine.shutdown()
/// ```
public final class CheckEngine: Sendable {
    /// Every state change and dynamic weight change, in order. Consume it from one task.
    public let transitions: AsyncStream<CheckTransition>
    private let eventLoop: any EventLoop
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let core: EngineCore

    /// Creates an engine.
    /// - Parameters:
    ///   - eventLoopGroup: where to run; nil creates (and owns) a one-thread `MultiThreadedEventLoopGroup`.
    ///     One event loop of the group runs every check.
    ///   - prober: the probe implementation (``NIOCheckProber`` by default; tests inject fakes).
    ///   - random: source of the warmup jitter in 0...1.
    ///   - probeObserver: makes, for the subscribers of one check, the function that sees each of its results (for
    ///     latency metrics). It is called when a check starts and whenever its subscribers change, not per result;
    ///     the function it returns runs after every probe, on the engine's event loop or on the TCP prober's
    ///     thread, so keep that cheap and non-blocking.
    ///   - logger: receives keepalived's log lines at `info`, and per-attempt failures at `debug` (at `info`
    ///     with `log_all_failures`).
    ///   - timerSlack: checks are started on a grid of this step (each at the grid point nearest its due time,
    ///     never before now), so checks due within the same step start in one event-loop wake-up and their
    ///     probes reach the prober together. Zero (the default) starts each check at its exact time. lvsd uses
    ///     10 ms: with 1,000 checks a second that is ~100 wake-ups instead of ~1,000, for at most 5 ms of skew.
    public init(
        eventLoopGroup: (any EventLoopGroup)? = nil,
        prober: any CheckProber = NIOCheckProber(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        probeObserver: (@Sendable (_ checkers: [CheckerID]) -> @Sendable (_ result: ProbeResult) -> Void)? = nil,
        logger: Logger = Logger(label: "lvsd.healthcheck"),
        timerSlack: Duration = .zero
    ) {
        let owned: MultiThreadedEventLoopGroup?
        let loop: any EventLoop
        if let eventLoopGroup {
            owned = nil
            loop = eventLoopGroup.next()
        } else {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            owned = group
            loop = group.next()
        }
        let (stream, continuation) = AsyncStream.makeStream(of: CheckTransition.self, bufferingPolicy: .unbounded)
        self.transitions = stream
        self.eventLoop = loop
        self.ownedGroup = owned
        self.core = EngineCore(
            eventLoop: loop,
            prober: prober,
            random: random,
            probeObserver: probeObserver,
            logger: logger,
            continuation: continuation,
            timerSlack: TimeAmount(timerSlack).nanoseconds
        )
    }

    /// Adds a checker, or replaces the spec of an existing one (a changed spec starts fresh, as in
    /// keepalived). Returns the checker's state now (a checker joining a shared probe gets its state).
    @discardableResult
    public func add(_ config: CheckerConfig) async -> CheckState {
        await onLoop(default: config.spec.timers.alpha ? .down : .up) { $0.add(config) }
    }

    /// Removes a checker. Its probe stops when it had no other subscriber.
    public func remove(_ id: CheckerID) async {
        await onLoop(default: ()) { $0.unsubscribe(id) }
    }

    /// Makes the running set equal to `configs`: new checkers start, missing ones stop, changed ones restart
    /// fresh, and unchanged ones keep their state and schedule (config reload).
    @discardableResult
    public func apply(_ configs: [CheckerConfig]) async -> CheckReloadSummary {
        await onLoop(default: CheckReloadSummary()) { $0.apply(configs) }
    }

    /// The status of every checker.
    public func status() async -> [CheckerStatus] {
        await onLoop(default: []) { $0.status() }
    }

    /// How many checks the prober's thread repeats by itself (handed over as steady), for tests.
    func handedOverCount() async -> Int {
        await onLoop(default: 0) { $0.handedOverCount }
    }

    /// The state of one checker, or nil when unknown.
    public func state(of id: CheckerID) async -> CheckState? {
        await onLoop(default: nil) { $0.state(of: id) }
    }

    /// Stops every checker, kills running MISC scripts, finishes ``transitions`` and, when the engine owns its
    /// event loop, shuts it down.
    public func shutdown() async {
        await onLoop(default: ()) { $0.stop() }
        core.prober.shutdown()
        try? await ownedGroup?.shutdownGracefully()
    }

    deinit {
        // An engine dropped without shutdown() must not leak its thread.
        ownedGroup?.shutdownGracefully { _ in }
    }

    private func onLoop<T: Sendable>(default value: T, _ body: @escaping @Sendable (EngineCore) -> T) async -> T {
        let core = self.core
        return (try? await eventLoop.submit { body(core) }.get()) ?? value
    }
}

/// One deduplicated checker: its spec, state machine, subscribers and timer.
final class CheckGroup: @unchecked Sendable {
    let spec: CheckSpec
    var machine: CheckerStateMachine
    var subscribers: [CheckerID] = []
    /// What sees each result (the engine's `probeObserver` made for `subscribers`).
    var observer: (@Sendable (ProbeResult) -> Void)?
    var timer: Scheduled<Void>?
    /// Set while the prober's thread repeats this (steady TCP) check by itself; see ``PeriodicTCPCheck``.
    var periodic: PeriodicTCPCheck?
    /// Bumped whenever `periodic` changes, so that a late report of an ended repetition is ignored.
    var periodicGeneration = 0
    /// The latest result while `periodic` runs (written on the prober's thread).
    let latest = Mutex<ProbeResult?>(nil)
    var active = true
    var lastLatency: Duration?
    var lastFailure: ProbeFailure?

    init(spec: CheckSpec) {
        self.spec = spec
        self.machine = CheckerStateMachine(spec: spec)
    }
}

/// The engine's state; confined to its event loop (every method runs there).
final class EngineCore: @unchecked Sendable {
    private let eventLoop: any EventLoop
    let prober: any CheckProber
    private let random: @Sendable () -> Double
    private let probeObserver: (@Sendable ([CheckerID]) -> @Sendable (ProbeResult) -> Void)?
    private let logger: Logger
    private let continuation: AsyncStream<CheckTransition>.Continuation
    private var groups: [CheckSpec: CheckGroup] = [:]
    private var subscriptions: [CheckerID: CheckSpec] = [:]
    private var stopped = false
    /// With a timer grid: the groups due at each grid point (by point number), and the one NIO timer per point.
    /// A thousand checks a second due on a 10 ms grid cost a hundred timers a second, not a thousand.
    private var due: [Int64: [CheckGroup]] = [:]
    private var gridTimers: [Int64: Scheduled<Void>] = [:]
    /// ``CheckEngine/init(eventLoopGroup:prober:random:probeObserver:logger:timerSlack:)``'s grid step, in ns.
    private let timerSlack: Int64

    init(
        eventLoop: any EventLoop,
        prober: any CheckProber,
        random: @escaping @Sendable () -> Double,
        probeObserver: (@Sendable ([CheckerID]) -> @Sendable (ProbeResult) -> Void)?,
        logger: Logger,
        continuation: AsyncStream<CheckTransition>.Continuation,
        timerSlack: Int64 = 0
    ) {
        self.timerSlack = max(0, timerSlack)
        self.eventLoop = eventLoop
        self.prober = prober
        self.random = random
        self.probeObserver = probeObserver
        self.logger = logger
        self.continuation = continuation
    }

    func add(_ config: CheckerConfig) -> CheckState {
        eventLoop.preconditionInEventLoop()
        if let current = subscriptions[config.id] {
            if current == config.spec, let group = groups[current] { return group.machine.state }
            unsubscribe(config.id)
        }
        return subscribe(config.id, to: config.spec)
    }

    func apply(_ configs: [CheckerConfig]) -> CheckReloadSummary {
        eventLoop.preconditionInEventLoop()
        var summary = CheckReloadSummary()
        var wanted: [CheckerID: CheckSpec] = [:]
        for config in configs { wanted[config.id] = config.spec }
        // Detach first and delete empty groups last, so that a probe whose spec survives under another
        // subscriber identity (say, a real server moved to another virtual server) keeps its state.
        // Everything here is O(n) in the number of checkers (keepalived's reload was O(n²), #2318).
        var changed = Set<CheckerID>()
        for (id, spec) in subscriptions where wanted[id] != spec {
            detach(id)
            if wanted[id] == nil {
                summary.removed.append(id)
            } else {
                changed.insert(id)
                summary.changed.append(id)
            }
        }
        var added = Set<CheckerID>()
        for config in configs where subscriptions[config.id] == nil {
            _ = subscribe(config.id, to: config.spec)
            if !changed.contains(config.id) {
                added.insert(config.id)
                summary.added.append(config.id)
            }
        }
        removeEmptyGroups()
        var seen = Set<CheckerID>()
        summary.kept = configs.map(\.id).filter { id in
            !added.contains(id) && !changed.contains(id) && seen.insert(id).inserted
        }
        return summary
    }

    func unsubscribe(_ id: CheckerID) {
        eventLoop.preconditionInEventLoop()
        detach(id)
        removeEmptyGroups()
    }

    private func detach(_ id: CheckerID) {
        guard let spec = subscriptions.removeValue(forKey: id), let group = groups[spec] else { return }
        group.subscribers.removeAll { $0 == id }
        group.observer = probeObserver?(group.subscribers)
        endPeriodic(group)
    }

    /// Takes a repeated check back from the prober's thread (its subscribers changed, or it is going away); the
    /// engine schedules it again itself.
    private func endPeriodic(_ group: CheckGroup) {
        guard let periodic = group.periodic else { return }
        periodic.cancel()
        group.periodic = nil
        group.periodicGeneration += 1
        if let latest = group.latest.withLock({ $0 }) {
            group.lastLatency = latest.latency
            group.lastFailure = latest.failure
        }
        if group.active, !stopped { schedule(group, after: group.spec.timers.delayLoop) }
    }

    private func removeEmptyGroups() {
        for (spec, group) in groups where group.subscribers.isEmpty {
            group.active = false
            group.timer?.cancel()
            group.periodic?.cancel()
            groups[spec] = nil
        }
    }

    func status() -> [CheckerStatus] {
        subscriptions.sorted { $0.key.description < $1.key.description }.compactMap { id, spec in
            guard let group = groups[spec] else { return nil }
            return CheckerStatus(
                checker: id,
                spec: spec,
                state: group.machine.state,
                hasRun: group.machine.hasRun,
                weight: group.machine.weight,
                lastLatency: group.periodic != nil ? group.latest.withLock { $0?.latency } ?? group.lastLatency : group.lastLatency,
                lastFailure: group.periodic != nil ? group.latest.withLock { $0?.failure } ?? group.lastFailure : group.lastFailure,
                sharedBy: group.subscribers.count
            )
        }
    }

    func state(of id: CheckerID) -> CheckState? {
        subscriptions[id].flatMap { groups[$0]?.machine.state }
    }

    func stop() {
        stopped = true
        for group in groups.values {
            group.active = false
            group.timer?.cancel()
            group.periodic?.cancel()
        }
        for timer in gridTimers.values { timer.cancel() }
        gridTimers = [:]
        due = [:]
        groups = [:]
        subscriptions = [:]
        continuation.finish()
    }

    private func subscribe(_ id: CheckerID, to spec: CheckSpec) -> CheckState {
        let group: CheckGroup
        if let existing = groups[spec] {
            group = existing
            endPeriodic(group)
        } else {
            group = CheckGroup(spec: spec)
            groups[spec] = group
            if !stopped { schedule(group, after: group.machine.initialDelay(random: random())) }
        }
        group.subscribers.append(id)
        group.observer = probeObserver?(group.subscribers)
        subscriptions[id] = spec
        logger.info("Activating healthchecker for service \(id.realServer) for VS \(id.virtualServer)")
        return group.machine.state
    }

    private func schedule(_ group: CheckGroup, after delay: Duration) {
        guard timerSlack > 0 else {
            group.timer = eventLoop.scheduleTask(in: TimeAmount(delay)) { [self] in self.run(group) }
            return
        }
        let point = gridPoint(eventLoop.now + TimeAmount(delay))
        if due[point] != nil {
            due[point]?.append(group)
            return
        }
        due[point] = [group]
        gridTimers[point] = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(point * timerSlack))) { [self] in
            self.gridTimers[point] = nil
            let now = self.eventLoop.now
            for group in self.due.removeValue(forKey: point) ?? [] { self.run(group, startedAt: now) }
        }
    }

    /// The grid point nearest `deadline` (see `timerSlack`), but not before now: a group due between two points
    /// starts at the nearer one.
    private func gridPoint(_ deadline: NIODeadline) -> Int64 {
        let nanos = Int64(clamping: deadline.uptimeNanoseconds)
        let (quotient, remainder) = nanos.quotientAndRemainder(dividingBy: timerSlack)
        let nearest = remainder * 2 >= timerSlack ? quotient + 1 : quotient
        let now = Int64(clamping: eventLoop.now.uptimeNanoseconds)
        let earliest = (now + timerSlack - 1) / timerSlack
        return max(nearest, earliest)
    }

    private func run(_ group: CheckGroup, startedAt now: NIODeadline? = nil) {
        guard group.active else { return }
        let start = now ?? eventLoop.now
        let timers = group.spec.timers
        prober.probe(
            group.spec.probe,
            urlIndex: group.machine.urlIndex,
            defaultTimeout: timers.delayLoop,
            on: eventLoop
        )
        .hop(to: eventLoop)
        .whenComplete { [self] result in
            guard group.active else { return }
            let probeResult: ProbeResult
            switch result {
            case .success(let value): probeResult = value
            case .failure(let error):
                probeResult = .failed(
                    .ioError("prober error: \(error)"),
                    latency: .nanoseconds((self.eventLoop.now - start).nanoseconds)
                )
            }
            self.handle(probeResult, for: group, startedAt: start)
        }
    }

    private func handle(_ result: ProbeResult, for group: CheckGroup, startedAt start: NIODeadline) {
        let previous = group.machine.state
        let decision = group.machine.record(result)
        group.lastLatency = result.latency
        group.lastFailure = result.failure
        group.observer?(result)
        for id in group.subscribers {
            if let failure = decision.failureMessage {
                if group.spec.timers.logAllFailures {
                    logger.info("\(failure.rendered(for: id))")
                } else {
                    logger.debug("\(failure.rendered(for: id))")
                }
                // keepalived's line names no cause; with -D the probe's own reason follows it.
                if let reason = result.failure { logger.debug("  cause: \(reason)") }
            }
            let messages = decision.messages.map { $0.rendered(for: id) }
            for message in messages { logger.info("\(message)") }
            if decision.transition != nil || decision.weightChanged {
                continuation.yield(
                    CheckTransition(
                        checker: id,
                        state: group.machine.state,
                        previousState: previous,
                        weight: decision.weight,
                        failure: decision.transition == .down ? result.failure : nil,
                        reason: result.failure.map { "\($0)" } ?? "success",
                        latency: result.latency,
                        messages: messages
                    )
                )
            }
        }
        var delay = decision.delay
        if handOver(group, result: result, decision: decision) { return }
        if decision.delayFromStart {
            let elapsed = Duration.nanoseconds((eventLoop.now - start).nanoseconds)
            delay = max(delay - elapsed, .microseconds(1))
        }
        schedule(group, after: delay)
    }

    /// Groups whose check the prober repeats (see ``handOver(_:result:decision:)``).
    var handedOverCount: Int { groups.values.reduce(0) { $0 + ($1.periodic == nil ? 0 : 1) } }

    /// Hands a steady TCP check to the prober's thread (see ``PeriodicTCPCheck``): when the next identical result
    /// would change nothing (no transition, no weight change, nothing to log: a success while up, a failure while
    /// down), the prober repeats the check every `delay_loop` and reports only the first different outcome, which
    /// then goes through ``handle(_:for:startedAt:)`` as usual. What this result itself did (the first "success."
    /// line, a transition) has been logged and reported already, so a check is handed over right after its first
    /// run rather than after a second, quiet one.
    private func handOver(_ group: CheckGroup, result: ProbeResult, decision: CheckDecision) -> Bool {
        guard case .tcp(let check) = group.spec.probe,
              let connector = (prober as? NIOCheckProber)?.connector,
              group.machine.hasRun, !decision.delayFromStart,
              decision.delay == group.spec.timers.delayLoop,
              result.succeeded == (group.machine.state == .up)
        else { return false }
        // The same result once more, on a copy of the state machine: it must be quiet.
        var rehearsal = group.machine
        let again = rehearsal.record(result)
        guard again.transition == nil, !again.weightChanged, again.messages.isEmpty, again.failureMessage == nil,
              !again.delayFromStart, again.delay == group.spec.timers.delayLoop
        else { return false }
        group.periodicGeneration += 1
        let generation = group.periodicGeneration
        let observer = group.observer
        let loop = eventLoop
        let first = NIODeadline.now().uptimeNanoseconds &+ UInt64(TimeAmount(decision.delay).nanoseconds)
        let periodic = connector.startPeriodic(
            check, firstStart: first, interval: decision.delay, slack: .nanoseconds(timerSlack),
            expectSuccess: result.succeeded,
            observe: { result in
                group.latest.withLock { $0 = result }
                observer?(result)
            },
            deviate: { [self] result in
                loop.execute {
                    guard group.active, group.periodicGeneration == generation, group.periodic != nil else { return }
                    group.periodic = nil
                    group.periodicGeneration += 1
                    self.handle(result, for: group, startedAt: self.eventLoop.now)
                }
            })
        guard let periodic else { return false }
        group.periodic = periodic
        group.latest.withLock { $0 = result }
        return true
    }
}
