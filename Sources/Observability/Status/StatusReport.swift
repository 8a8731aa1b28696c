#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A plain snapshot of the daemon's state, filled by the daemon for the SIGUSR1 dump and `lvsd status`.
///
/// Every field is a plain value, so the snapshot can be built without this module knowing the director's types,
/// sent over the control socket, and decoded again. ``renderText()`` and ``renderJSON()`` turn it into the two
/// output formats; the JSON keys are documented in `docs/lvsd-status.md` and do not change between releases
/// (new keys may be added).
public struct StatusReport: Sendable, Hashable, Codable {
    /// The version of the format of ``renderJSON()``; raised only for incompatible changes.
    public static let formatVersion = 1

    /// The format version this snapshot was written with (``formatVersion`` for snapshots made here).
    public var formatVersion: Int
    /// lvsd's version.
    public var version: String
    /// The daemon's process id.
    public var pid: Int32
    /// When the snapshot was taken.
    public var generatedAt: Date
    /// When the daemon started.
    public var startedAt: Date
    /// The configuration file in use.
    public var configFile: String
    /// When the configuration was last loaded (at start or by a successful reload).
    public var configLoadedAt: Date?
    /// The last reload, if any happened since the start.
    public var lastReload: ReloadStatus?
    /// The virtual servers, in configuration order.
    public var virtualServers: [VirtualServerStatus]
    /// The VRRP instances, in configuration order (absent without VRRP).
    public var vrrpInstances: [VRRPInstanceReport]?
    /// The announcements of an ECMP director tier (absent without `announce`).
    public var announce: AnnounceStatus?
    /// The IPVS sysctls set from `global_defs` (`lvsd_sloppy_tcp`, ...) as read back (absent when none is set).
    public var sysctls: [SysctlStatus]?

    /// Creates a snapshot.
    public init(
        version: String,
        pid: Int32,
        generatedAt: Date,
        startedAt: Date,
        configFile: String,
        configLoadedAt: Date? = nil,
        lastReload: ReloadStatus? = nil,
        virtualServers: [VirtualServerStatus],
        vrrpInstances: [VRRPInstanceReport]? = nil
    ) {
        self.formatVersion = Self.formatVersion
        self.version = version
        self.pid = pid
        self.generatedAt = generatedAt
        self.startedAt = startedAt
        self.configFile = configFile
        self.configLoadedAt = configLoadedAt
        self.lastReload = lastReload
        self.virtualServers = virtualServers
        self.vrrpInstances = vrrpInstances
    }
}

/// The outcome of the last configuration reload.
public struct ReloadStatus: Sendable, Hashable, Codable {
    /// When the reload was attempted.
    public var at: Date
    /// Whether it was applied or refused.
    public var result: ReloadResult
    /// Why it was refused (the first diagnostic, with file and line), or nil when applied.
    public var message: String?

    /// Creates a reload status.
    public init(at: Date, result: ReloadResult, message: String? = nil) {
        self.at = at
        self.result = result
        self.message = message
    }
}

/// One virtual server in a ``StatusReport``.
public struct VirtualServerStatus: Sendable, Hashable, Codable {
    /// The kernel service key in ipvsadm's notation: `TCP 10.0.0.1:80`, `UDP [2001:db8::1]:53`, `FWM 7`.
    public var service: String
    /// The configuration's name for it, when it differs from ``service`` (a group name, say).
    public var name: String?
    /// The scheduler (`rr`, `wlc`, ...).
    public var scheduler: String
    /// The forwarding method (`NAT`, `DR`, `TUN`), when all real servers share one.
    public var forwarding: String?
    /// Persistence timeout in seconds, nil when not persistent.
    public var persistenceTimeout: Int?
    /// Whether the service is in the kernel table now.
    public var inKernel: Bool
    /// Whether the virtual server has quorum (the alive real servers' weights reach `quorum`).
    public var quorumUp: Bool
    /// The configured quorum.
    public var quorum: Int
    /// Whether the sorry server is in the table in place of the real servers.
    public var sorryActive: Bool
    /// The sorry server's address, if one is configured.
    public var sorryServer: String?
    /// The kernel's counters for the service, when read.
    public var counters: KernelServiceCounters?
    /// The scheduling digest of the kernel service (scheduler, flags, destinations and weights in kernel order),
    /// for comparing the directors of an ECMP tier; absent when the service is not in the kernel.
    public var schedulingDigest: String?
    /// The real servers, in configuration order (draining ones last).
    public var realServers: [RealServerStatus]

    /// Creates a virtual server entry.
    public init(
        service: String,
        name: String? = nil,
        scheduler: String,
        forwarding: String? = nil,
        persistenceTimeout: Int? = nil,
        inKernel: Bool,
        quorumUp: Bool,
        quorum: Int = 1,
        sorryActive: Bool = false,
        sorryServer: String? = nil,
        counters: KernelServiceCounters? = nil,
        realServers: [RealServerStatus]
    ) {
        self.service = service
        self.name = name
        self.scheduler = scheduler
        self.forwarding = forwarding
        self.persistenceTimeout = persistenceTimeout
        self.inKernel = inKernel
        self.quorumUp = quorumUp
        self.quorum = quorum
        self.sorryActive = sorryActive
        self.sorryServer = sorryServer
        self.counters = counters
        self.realServers = realServers
    }
}

/// One real server of a ``VirtualServerStatus``.
public struct RealServerStatus: Sendable, Hashable, Codable {
    /// The address and port, `192.168.1.10:80` or `[2001:db8::10]:80`.
    public var address: String
    /// The weight in the configuration.
    public var configuredWeight: Int
    /// The weight in the kernel table now; nil when the real server is not in the table.
    public var kernelWeight: Int?
    /// Whether the checkers consider it alive.
    public var alive: Bool
    /// Whether it is in the table with weight 0 because it failed (`inhibit_on_failure`).
    public var inhibited: Bool
    /// Whether it left the configuration and is draining its connections before removal.
    public var draining: Bool
    /// Active connections in the kernel, when read.
    public var activeConnections: UInt64?
    /// Inactive connections in the kernel, when read.
    public var inactiveConnections: UInt64?
    /// The checkers of this real server and their last results.
    public var checks: [CheckStatus]

    /// Creates a real server entry.
    public init(
        address: String,
        configuredWeight: Int,
        kernelWeight: Int?,
        alive: Bool,
        inhibited: Bool = false,
        draining: Bool = false,
        activeConnections: UInt64? = nil,
        inactiveConnections: UInt64? = nil,
        checks: [CheckStatus] = []
    ) {
        self.address = address
        self.configuredWeight = configuredWeight
        self.kernelWeight = kernelWeight
        self.alive = alive
        self.inhibited = inhibited
        self.draining = draining
        self.activeConnections = activeConnections
        self.inactiveConnections = inactiveConnections
        self.checks = checks
    }
}

/// One checker's last result for a real server.
public struct CheckStatus: Sendable, Hashable, Codable {
    /// The result of the last completed check.
    public enum Result: String, Sendable, Hashable, Codable {
        /// The check succeeded.
        case success
        /// The check failed.
        case failure
        /// No check has completed yet.
        case pending
    }

    /// The checker type as keepalived names it: `TCP_CHECK`, `HTTP_GET`, `SSL_GET`, `MISC_CHECK`.
    public var type: String
    /// What is checked, when it differs from the real server (`connect_ip`/`connect_port`, a URL, a script).
    public var target: String?
    /// The result of the last check.
    public var result: Result
    /// Why the last check failed, or a note on success (a status code, a digest mismatch, a timeout).
    public var reason: String?
    /// How long the last check took, in milliseconds.
    public var latencyMilliseconds: Double?
    /// When the last check completed.
    public var lastCheckedAt: Date?
    /// Consecutive failures counted towards the retry limit.
    public var consecutiveFailures: Int

    /// Creates a checker entry.
    public init(
        type: String,
        target: String? = nil,
        result: Result,
        reason: String? = nil,
        latencyMilliseconds: Double? = nil,
        lastCheckedAt: Date? = nil,
        consecutiveFailures: Int = 0
    ) {
        self.type = type
        self.target = target
        self.result = result
        self.reason = reason
        self.latencyMilliseconds = latencyMilliseconds
        self.lastCheckedAt = lastCheckedAt
        self.consecutiveFailures = consecutiveFailures
    }

    /// Creates a checker entry from a latency given as a `Duration`.
    public init(
        type: String,
        target: String? = nil,
        result: Result,
        reason: String? = nil,
        latency: Duration,
        lastCheckedAt: Date? = nil,
        consecutiveFailures: Int = 0
    ) {
        let (seconds, attoseconds) = latency.components
        self.init(
            type: type,
            target: target,
            result: result,
            reason: reason,
            latencyMilliseconds: Double(seconds) * 1000 + Double(attoseconds) / 1e15,
            lastCheckedAt: lastCheckedAt,
            consecutiveFailures: consecutiveFailures
        )
    }
}

/// The announcements of an ECMP director tier, in the status report.
public struct AnnounceStatus: Sendable, Hashable, Codable {
    /// One VIP.
    public struct Address: Sendable, Hashable, Codable {
        /// The address.
        public var address: String
        /// Whether it is on the announce interface.
        public var announced: Bool
        /// Creates an entry.
        public init(address: String, announced: Bool) {
            self.address = address
            self.announced = announced
        }
    }
    /// One `announce` virtual server's decision.
    public struct Decision: Sendable, Hashable, Codable {
        /// keepalived's name of the virtual server.
        public var virtualServer: String
        /// Its debounced quorum.
        public var healthy: Bool
        /// Whether it asks for its addresses to be announced.
        public var announce: Bool
        /// Whether a rise or fall is under way.
        public var pending: Bool
        /// Its rise and fall, in seconds.
        public var riseSeconds: Double
        public var fallSeconds: Double
        /// Creates an entry.
        public init(virtualServer: String, healthy: Bool, announce: Bool, pending: Bool, riseSeconds: Double, fallSeconds: Double) {
            self.virtualServer = virtualServer
            self.healthy = healthy
            self.announce = announce
            self.pending = pending
            self.riseSeconds = riseSeconds
            self.fallSeconds = fallSeconds
        }
    }
    /// The announce interface (`lvs0`).
    public var interface: String
    /// Whether `lvsd drain` is in force.
    public var drained: Bool
    /// The last failure to bring the interface in line, if the last attempt failed.
    public var error: String?
    /// Every VIP of an `announce` virtual server.
    public var addresses: [Address]
    /// Every `announce` virtual server.
    public var decisions: [Decision]
    /// Creates the section.
    public init(interface: String, drained: Bool, error: String? = nil, addresses: [Address], decisions: [Decision]) {
        self.interface = interface
        self.drained = drained
        self.error = error
        self.addresses = addresses
        self.decisions = decisions
    }
}

/// One sysctl lvsd set, as read back.
public struct SysctlStatus: Sendable, Hashable, Codable {
    /// Its full name (`net.ipv4.vs.sloppy_tcp`).
    public var name: String
    /// Its value.
    public var value: Int
    /// Creates an entry.
    public init(name: String, value: Int) {
        self.name = name
        self.value = value
    }
}
