/// The service flags the kernel keeps in `struct ip_vs_flags` (`IP_VS_SVC_F_*`).
public struct ServiceFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Persistent service (`IP_VS_SVC_F_PERSISTENT`).
    public static let persistent = ServiceFlags(rawValue: 0x01)
    /// Set by the kernel when the service is hashed; never sent.
    public static let hashed = ServiceFlags(rawValue: 0x02)
    /// One-packet scheduling (`ops`, UDP only).
    public static let onePacket = ServiceFlags(rawValue: 0x04)
    /// Scheduler flag 1: `sh-fallback` for sh, `mh-fallback` for mh.
    public static let scheduler1 = ServiceFlags(rawValue: 0x08)
    /// Scheduler flag 2: `sh-port` for sh, `mh-port` for mh.
    public static let scheduler2 = ServiceFlags(rawValue: 0x10)
    /// Scheduler flag 3.
    public static let scheduler3 = ServiceFlags(rawValue: 0x20)

    /// The flags a client may set (everything but ``hashed``).
    public static let settable: ServiceFlags = [.persistent, .onePacket, .scheduler1, .scheduler2, .scheduler3]
}
