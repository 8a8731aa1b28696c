/// Counters and rates of a service or destination, exact 64-bit values from `STATS64`
/// (or widened from `STATS` on kernels without it).
public struct Stats: Hashable, Sendable, Codable {
    /// Connections scheduled.
    public var connections: UInt64 = 0
    /// Incoming packets.
    public var inPackets: UInt64 = 0
    /// Outgoing packets.
    public var outPackets: UInt64 = 0
    /// Incoming bytes.
    public var inBytes: UInt64 = 0
    /// Outgoing bytes.
    public var outBytes: UInt64 = 0
    /// Connections per second.
    public var connectionRate: UInt64 = 0
    /// Incoming packets per second.
    public var inPacketRate: UInt64 = 0
    /// Outgoing packets per second.
    public var outPacketRate: UInt64 = 0
    /// Incoming bytes per second.
    public var inByteRate: UInt64 = 0
    /// Outgoing bytes per second.
    public var outByteRate: UInt64 = 0

    /// All-zero counters.
    public init() {}
}
