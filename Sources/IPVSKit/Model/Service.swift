/// A virtual service: its identity, scheduling and persistence, and (when read from the kernel) its counters.
public struct Service: Hashable, Sendable {
    /// The service's identity.
    public var key: ServiceKey
    /// The scheduler's name (`rr`, `wlc`, `mh`, ...); at most 15 characters.
    public var scheduler: String
    /// Service flags; ``ServiceFlags/persistent`` is set whenever ``persistenceTimeout`` is meaningful.
    public var flags: ServiceFlags
    /// The persistence timeout in seconds (used when ``flags`` contains ``ServiceFlags/persistent``).
    public var persistenceTimeout: UInt32
    /// The persistence granularity: for IPv4 a host-order netmask (`0xFFFF_FFFF` is /32); for IPv6 a prefix length
    /// (1 to 128).
    public var netmask: UInt32
    /// The persistence engine (`sip`), if any.
    public var persistenceEngine: String?
    /// Counters and rates, as read from the kernel; ignored when sending.
    public var stats: Stats

    /// Creates a service description.
    ///
    /// - Parameters:
    ///   - key: the service's identity.
    ///   - scheduler: scheduler name, `wlc` by default as in ipvsadm.
    ///   - flags: service flags.
    ///   - persistenceTimeout: seconds of persistence; a non-zero value with no flags given sets ``ServiceFlags/persistent``.
    ///   - netmask: persistence granularity; defaults to the host mask of the key's family.
    ///   - persistenceEngine: persistence engine name.
    public init(
        key: ServiceKey,
        scheduler: String = "wlc",
        flags: ServiceFlags = [],
        persistenceTimeout: UInt32 = 0,
        netmask: UInt32? = nil,
        persistenceEngine: String? = nil,
        stats: Stats = Stats()
    ) {
        self.key = key
        self.scheduler = scheduler
        self.flags = persistenceTimeout > 0 ? flags.union(.persistent) : flags
        self.persistenceTimeout = persistenceTimeout
        self.netmask = netmask ?? Service.hostMask(for: key.family)
        self.persistenceEngine = persistenceEngine
        self.stats = stats
    }

    /// The netmask value that means "one address": `0xFFFF_FFFF` for IPv4, 128 for IPv6.
    public static func hostMask(for family: AddressFamily) -> UInt32 {
        family == .inet ? 0xFFFF_FFFF : 128
    }

    /// Whether two descriptions configure the kernel identically (counters ignored; the kernel-internal
    /// ``ServiceFlags/hashed`` flag ignored).
    public func sameConfiguration(as other: Service) -> Bool {
        key == other.key && scheduler == other.scheduler
            && flags.intersection(.settable) == other.flags.intersection(.settable)
            && persistenceTimeout == other.persistenceTimeout && netmask == other.netmask
            && (persistenceEngine ?? "") == (other.persistenceEngine ?? "")
    }
}
