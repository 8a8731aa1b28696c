import VRRP

/// One instance as `lvsd status` and `/metrics` show it.
public struct InstanceStatus: Hashable, Sendable {
    /// The instance name.
    public var name: String
    /// `interface`.
    public var interface: String
    /// `virtual_router_id`.
    public var vrid: UInt8
    /// The protocol version (2 or 3).
    public var version: Int
    /// INIT, BACKUP, MASTER or FAULT.
    public var state: VRRPState
    /// The configured priority.
    public var basePriority: UInt8
    /// The priority adverts carry now.
    public var effectivePriority: UInt8
    /// The master's address as this BACKUP knows it (ours when MASTER).
    public var masterAddress: String?
    /// Seconds since the last valid advert was received, if any was.
    public var lastAdvertAge: Double?
    /// Adverts sent (packets; one per unicast peer).
    public var advertsSent: UInt64
    /// Adverts received and accepted.
    public var advertsReceived: UInt64
    /// Adverts dropped, by ``DropReason/name``.
    public var drops: [String: UInt64]
    /// State changes since start.
    public var transitions: UInt64
    /// Split-brain causes seen (a MASTER hearing a MASTER it ignores), by cause.
    public var splitBrain: [String: UInt64]
    /// The VIPs.
    public var addresses: [String]
}

/// Counters kept per instance.
struct InstanceCounters: Hashable, Sendable {
    var advertsSent: UInt64 = 0
    var advertsReceived: UInt64 = 0
    var drops: [String: UInt64] = [:]
    var transitions: UInt64 = 0
    var splitBrain: [String: UInt64] = [:]
    var lastAdvert: ContinuousClock.Instant?
}
