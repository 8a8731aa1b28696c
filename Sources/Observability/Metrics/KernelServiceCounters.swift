/// One snapshot of an IPVS service's kernel statistics (`IPVS_SVC_ATTR_STATS64`), as the daemon reads it.
///
/// The values are cumulative since the service was created in the kernel (or last zeroed with `ipvsadm -Z`).
/// ``LvsdMetrics/updateServiceCounters(virtualServer:_:)`` turns successive snapshots into Prometheus counters.
public struct KernelServiceCounters: Sendable, Hashable, Codable {
    /// Connections scheduled (`conns`).
    public var connections: UInt64
    /// Packets received from clients (`inpkts`).
    public var inPackets: UInt64
    /// Packets sent to clients (`outpkts`; zero for DR and TUN, whose replies bypass the director).
    public var outPackets: UInt64
    /// Bytes received from clients (`inbytes`).
    public var inBytes: UInt64
    /// Bytes sent to clients (`outbytes`).
    public var outBytes: UInt64

    /// Creates a snapshot; every value defaults to zero.
    public init(
        connections: UInt64 = 0,
        inPackets: UInt64 = 0,
        outPackets: UInt64 = 0,
        inBytes: UInt64 = 0,
        outBytes: UInt64 = 0
    ) {
        self.connections = connections
        self.inPackets = inPackets
        self.outPackets = outPackets
        self.inBytes = inBytes
        self.outBytes = outBytes
    }
}
