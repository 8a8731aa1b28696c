import Director
import Foundation
import IPVSKit
import KeepalivedConfig
import Logging
import ServiceLifecycle

/// The announcements of an ECMP director tier: keeps the address of every `announce` virtual server on the announce
/// interface (`lvsd_announce_interface`, default `lvs0`, a `dummy` link lvsd creates and owns) exactly while its
/// ``AnnounceDecision`` says so, for a routing daemon (BIRD's `direct` protocol, FRR's `redistribute connected`)
/// to announce what is present.
///
/// - Start: the interface is brought in line at once (addresses there that should not be are removed; the
///   interface is created when something is to be announced). The addresses of `announce` virtual servers are
///   also put on `lo` and left there (never removed, even at stop), so that packets still arriving for a withdrawn
///   VIP (routers converge in seconds) are accepted and served.
/// - Running: each virtual server's quorum is read from the director every ``pollInterval`` and fed to the
///   ``AnnouncePlanner``; a change of the announced set is applied at once, and the interface is re-synchronised
///   every ``resyncInterval`` (hand edits undone).
/// - `lvsd drain` / `lvsd undrain` withdraw / restore every announcement (``setDrained(_:)``).
/// - Stop: started after the director, so stopped before it: every announcement is withdrawn while the table still
///   serves.
public actor AnnounceService: ServiceLifecycle.Service, ConfigurationParticipant {
    public nonisolated let participantName = "announce"
    /// How often the quorum is read.
    public let pollInterval: Duration
    /// How often the interface is re-read and corrected when nothing changed.
    public static let resyncInterval: Duration = .seconds(30)

    private var planner: AnnouncePlanner
    private var interface: String
    private let network: any AnnounceNetwork
    private let quorum: @Sendable () async -> [VirtualServerID: Bool]?
    private let logger: Logger
    private var applied: Set<IPAddress>?
    private var lastSync: ContinuousClock.Instant?
    private var lastError: String?
    private var stopping = false
    /// The loop's sleep between observations, cut short by a reload.
    private var nap: Task<Void, Never>?

    /// Creates the service.
    /// - Parameters:
    ///   - quorum: each virtual server's quorum now (``Director/quorumStates()``, read off the cooperative pool: the
    ///     director holds its lock during kernel batches); `nil` when it cannot be read (nothing changes then).
    ///   - pollInterval: how often the quorum is read (250 ms; the announce latency is at most this).
    public init(setup: KeepalivedSetup, interface: String, network: any AnnounceNetwork,
                quorum: @escaping @Sendable () async -> [VirtualServerID: Bool]?, logger: Logger,
                pollInterval: Duration = .milliseconds(250)) {
        planner = AnnouncePlanner(setup.announcements)
        self.interface = interface
        self.network = network
        self.quorum = quorum
        self.logger = logger
        self.pollInterval = pollInterval
    }

    // MARK: - Service

    /// Announces until graceful shutdown, then withdraws everything.
    public func run() async {
        await step(force: true)
        await cancelWhenGracefulShutdown { await self.loop() }
        stopping = true
        await withdrawAll(reason: "lvsd is stopping")
    }

    /// Observes every ``pollInterval`` while there is something to announce; with nothing (most directors), only
    /// every ``resyncInterval``, to keep the interface empty: no quorum to read, no wake-ups four times a second.
    /// A reload wakes it at once (``apply(_:)``).
    private func loop() async {
        while !Task.isCancelled {
            let interval = planner.specs.isEmpty ? Self.resyncInterval : pollInterval
            let nap = Task { _ = try? await Task.sleep(for: interval) }
            self.nap = nap
            await withTaskCancellationHandler { await nap.value } onCancel: { nap.cancel() }
            self.nap = nil
            if Task.isCancelled { return }
            await step(force: false)
        }
    }

    /// One observation: quorum in, decisions updated, the interface synchronised when the set changed (or `force`,
    /// or the resync interval passed). Exposed for tests.
    func step(force: Bool) async {
        guard !stopping else { return }
        guard let states = planner.specs.isEmpty ? [:] : await quorum(), !stopping else { return }
        let now = ContinuousClock.now
        planner.update(quorum: states, now: now)
        let wanted = Set(planner.announced)
        let due = lastSync.map { now - $0 >= Self.resyncInterval } ?? true
        let retry = lastError != nil && (lastSync.map { now - $0 >= .seconds(5) } ?? true)
        if force || due || retry || wanted != applied {
            await sync(wanted, now: now)
        }
    }

    private func sync(_ wanted: Set<IPAddress>, now: ContinuousClock.Instant) async {
        do throws(AnnounceError) {
            let result = try await network.sync(interface: interface, wanted: wanted, local: planner.allAddresses)
            if result.createdInterface { logger.info("announce: created dummy interface \(interface)") }
            for a in result.added { logger.notice("announce: \(a) announced on \(interface)") }
            for a in result.removed { logger.notice("announce: \(a) withdrawn from \(interface)") }
            if lastError != nil { logger.notice("announce: \(interface) in step again") }
            applied = wanted
            lastError = nil
        } catch {
            if lastError != error.description { logger.error("announce: \(error)") }
            lastError = error.description
        }
        lastSync = now
    }

    /// Empties the announce interface (whatever is on it, hand-added addresses too); a missing interface is left
    /// missing.
    private func withdrawAll(reason: String) async {
        do throws(AnnounceError) {
            let result = try await network.sync(interface: interface, wanted: [], local: [])
            for a in result.removed { logger.notice("announce: \(a) withdrawn from \(interface) (\(reason))") }
            applied = []
        } catch {
            logger.error("announce: cannot withdraw (\(reason)): \(error)")
        }
    }

    // MARK: - Drain

    /// Drains (`true`) or undrains the director: every announcement withdrawn, or restored where healthy. Returns
    /// the addresses announced afterwards.
    public func setDrained(_ drained: Bool) async -> [IPAddress] {
        if planner.drained != drained {
            planner.drained = drained
            logger.notice("announce: director \(drained ? "drained: withdrawing every announcement" : "undrained")")
        }
        await step(force: true)
        return planner.announced
    }

    /// Whether the director is drained.
    public var isDrained: Bool { planner.drained }

    /// Every address of an `announce` virtual server.
    public var addresses: [IPAddress] { planner.allAddresses }

    // MARK: - Status

    /// The announcements now, for `lvsd status` and `/metrics`.
    public func report() -> AnnounceReport {
        let announced = Set(planner.announced)
        return AnnounceReport(
            interface: interface, drained: planner.drained, error: lastError,
            addresses: planner.allAddresses.map { AnnounceReport.Address(address: $0, announced: announced.contains($0)) },
            virtualServers: planner.specs.map { s in
                let d = planner.decisions[s.virtualServer]
                return AnnounceReport.VirtualServer(name: s.virtualServer.description, healthy: d?.stableHealthy ?? false,
                                                    announce: d?.announce ?? false, pending: d?.pendingSince != nil,
                                                    rise: s.rise, fall: s.fall)
            })
    }

    // MARK: - Configuration

    public func check(_ candidate: ConfigurationCandidate) async -> [String] {
        stopping ? ["lvsd is stopping"] : []
    }

    /// Takes the new `announce` virtual servers; a change of interface withdraws everything from the old one first.
    public func apply(_ candidate: ConfigurationCandidate) async throws(ReloadRefusal) {
        guard !stopping else { throw ReloadRefusal(["lvsd is stopping"]) }
        let newInterface = candidate.configuration.globalDefinitions.announceInterface
        if newInterface != interface {
            await withdrawAll(reason: "announce interface changed to \(newInterface)")
            interface = newInterface
            applied = nil
        }
        planner.replace(candidate.setup.announcements)
        await step(force: true)
        nap?.cancel()  // the loop sleeps for the new configuration's interval
    }
}

/// The announcements, as `lvsd status` reports them.
public struct AnnounceReport: Hashable, Sendable {
    /// One address of an `announce` virtual server.
    public struct Address: Hashable, Sendable {
        /// The VIP.
        public var address: IPAddress
        /// Whether it is on the announce interface.
        public var announced: Bool
    }
    /// One `announce` virtual server's decision.
    public struct VirtualServer: Hashable, Sendable {
        /// keepalived's name for it.
        public var name: String
        /// Its debounced quorum.
        public var healthy: Bool
        /// Its decision.
        public var announce: Bool
        /// Whether a rise or fall is under way.
        public var pending: Bool
        /// Its rise and fall.
        public var rise: Duration
        public var fall: Duration
    }
    /// The announce interface.
    public var interface: String
    /// Whether `lvsd drain` is in force.
    public var drained: Bool
    /// The last synchronisation's failure, if it failed.
    public var error: String?
    /// Every address.
    public var addresses: [Address]
    /// Every `announce` virtual server.
    public var virtualServers: [VirtualServer]
}
