/// lvsd extension `announce [rise SECS] [fall SECS]` in a `virtual_server`: while the virtual server is healthy
/// (its quorum is up) and the director is not drained, its address is kept on the announce interface
/// (`lvsd_announce_interface`, default `lvs0`), from which a routing daemon (BIRD's `direct` protocol, FRR's
/// `redistribute connected`) announces it to the routers of an ECMP director tier.
public struct AnnounceSettings: Hashable, Sendable {
    /// How long the quorum must have been up before the address is announced (default 0: at once).
    public var rise: ConfigDuration
    /// How long the quorum must have been down before the address is withdrawn (default 0: at once).
    public var fall: ConfigDuration
    /// Where `announce` was written.
    @ExcludedFromEquality public var location: ConfigLocation

    /// Creates the settings.
    public init(rise: ConfigDuration = .zero, fall: ConfigDuration = .zero, location: ConfigLocation) {
        self.rise = rise
        self.fall = fall
        self.location = location
    }
}

/// The IPVS sysctls of an active-active director tier (`net.ipv4.vs.*`), from lvsd's `global_defs` keywords
/// `lvsd_sloppy_tcp`, `lvsd_schedule_icmp`, `lvsd_expire_nodest_conn` and `lvsd_conntrack`. `nil`: left as the
/// system has it.
public struct DirectorSysctls: Hashable, Sendable {
    /// `net.ipv4.vs.sloppy_tcp`: a director accepts a TCP flow mid-way (moved to it by ECMP).
    public var sloppyTCP: Bool?
    /// `net.ipv4.vs.schedule_icmp`: ICMP errors for flows this director has not seen are scheduled too.
    public var scheduleICMP: Bool?
    /// `net.ipv4.vs.expire_nodest_conn`: connections to a deleted real server expire at their next packet.
    public var expireNodestConn: Bool?
    /// `net.ipv4.vs.conntrack`: keep netfilter connection tracking for IPVS connections.
    public var conntrack: Bool?

    /// Nothing set.
    public init(sloppyTCP: Bool? = nil, scheduleICMP: Bool? = nil, expireNodestConn: Bool? = nil, conntrack: Bool? = nil) {
        self.sloppyTCP = sloppyTCP
        self.scheduleICMP = scheduleICMP
        self.expireNodestConn = expireNodestConn
        self.conntrack = conntrack
    }

    /// The settings given, as (sysctl name under `net.ipv4.vs.`, value), in a fixed order.
    public var settings: [(name: String, value: Bool)] {
        var out: [(String, Bool)] = []
        if let sloppyTCP { out.append(("sloppy_tcp", sloppyTCP)) }
        if let scheduleICMP { out.append(("schedule_icmp", scheduleICMP)) }
        if let expireNodestConn { out.append(("expire_nodest_conn", expireNodestConn)) }
        if let conntrack { out.append(("conntrack", conntrack)) }
        return out
    }
}

/// The default `lvsd_announce_interface`.
public enum AnnounceDefaults {
    /// `lvs0`.
    public static let interface = "lvs0"
    /// The slots of the kernel's `mh` lookup table (`CONFIG_IP_VS_MH_TAB_INDEX` 12, Debian's): more real servers
    /// than this cannot all get a slot.
    public static let maglevTableSize = 4093
}
