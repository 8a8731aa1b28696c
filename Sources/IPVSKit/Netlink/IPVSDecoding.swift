/// Decodes IPVS replies. Decoding is total: every missing or short attribute is a ``IPVSError/malformedReply(_:)``.
enum IPVSDecoder {
    static func service(from top: NetlinkAttributes) throws(IPVSError) -> Service {
        let ctx = "service"
        let a = try NetlinkAttributes.require(try top.nested(CmdAttr.service, context: ctx), "SERVICE nest", ctx)
        let afRaw = try NetlinkAttributes.require(try a.u16(SvcAttr.af, ctx), "AF", ctx)
        guard let family = AddressFamily(rawValue: afRaw) else { throw .malformedReply("\(ctx): unknown address family \(afRaw)") }
        let key: ServiceKey
        if let mark = try a.u32(SvcAttr.fwmark, ctx), mark != 0 || !a.has(SvcAttr.addr) {
            key = .firewallMark(mark, family: family)
        } else {
            let protoRaw = try NetlinkAttributes.require(try a.u16(SvcAttr.proto, ctx), "PROTOCOL", ctx)
            guard let proto = IPProtocol(rawValue: protoRaw) else { throw .malformedReply("\(ctx): unknown protocol \(protoRaw)") }
            let raw = try NetlinkAttributes.require(a.raw(SvcAttr.addr), "ADDR", ctx)
            guard let addr = IPAddress(bytes: raw, family: family) else { throw .malformedReply("\(ctx): ADDR has \(raw.count) bytes") }
            let port = try NetlinkAttributes.require(try a.be16(SvcAttr.port, ctx), "PORT", ctx)
            key = .address(proto, addr, port: port)
        }
        let sched = try NetlinkAttributes.require(a.string(SvcAttr.schedName), "SCHED_NAME", ctx)
        let flagBytes = try NetlinkAttributes.require(a.raw(SvcAttr.flags), "FLAGS", ctx)
        guard flagBytes.count >= 4 else { throw .malformedReply("\(ctx): FLAGS has \(flagBytes.count) bytes") }
        let flags = NetlinkMessage.readU32(flagBytes, flagBytes.startIndex)
        let timeout = try NetlinkAttributes.require(try a.u32(SvcAttr.timeout, ctx), "TIMEOUT", ctx)
        let maskRaw = try NetlinkAttributes.require(a.raw(SvcAttr.netmask), "NETMASK", ctx)
        guard maskRaw.count >= 4 else { throw .malformedReply("\(ctx): NETMASK has \(maskRaw.count) bytes") }
        let s = maskRaw.startIndex
        let netmask = family == .inet
            ? UInt32(maskRaw[s]) << 24 | UInt32(maskRaw[s + 1]) << 16 | UInt32(maskRaw[s + 2]) << 8 | UInt32(maskRaw[s + 3])
            : NetlinkMessage.readU32(maskRaw, s)
        let pe = a.string(SvcAttr.peName)
        var svc = Service(key: key, scheduler: sched, flags: ServiceFlags(rawValue: flags),
                          persistenceTimeout: timeout, netmask: netmask, persistenceEngine: pe?.isEmpty == true ? nil : pe)
        svc.flags = ServiceFlags(rawValue: flags)
        svc.stats = try stats(in: a, stats64: SvcAttr.stats64, stats32: SvcAttr.stats, ctx)
        return svc
    }

    static func destination(from top: NetlinkAttributes, serviceFamily: AddressFamily) throws(IPVSError) -> Destination {
        let ctx = "destination"
        let a = try NetlinkAttributes.require(try top.nested(CmdAttr.dest, context: ctx), "DEST nest", ctx)
        // Old kernels send no ADDR_FAMILY: the destination then has the service's family.
        var family = serviceFamily
        if let raw = try a.u16(DestAttr.addrFamily, ctx), raw != 0 {
            guard let f = AddressFamily(rawValue: raw) else { throw .malformedReply("\(ctx): unknown address family \(raw)") }
            family = f
        }
        let raw = try NetlinkAttributes.require(a.raw(DestAttr.addr), "ADDR", ctx)
        guard let addr = IPAddress(bytes: raw, family: family) else { throw .malformedReply("\(ctx): ADDR has \(raw.count) bytes") }
        let port = try NetlinkAttributes.require(try a.be16(DestAttr.port, ctx), "PORT", ctx)
        let fwdRaw = try NetlinkAttributes.require(try a.u32(DestAttr.fwdMethod, ctx), "FWD_METHOD", ctx) & 0x7
        guard let fwd = ForwardingMethod(rawValue: fwdRaw) else { throw .malformedReply("\(ctx): unknown forwarding method \(fwdRaw)") }
        let weight = try NetlinkAttributes.require(try a.u32(DestAttr.weight, ctx), "WEIGHT", ctx)
        var d = Destination(address: addr, port: port, forwarding: fwd, weight: Int32(bitPattern: weight))
        d.upperThreshold = try a.u32(DestAttr.uThresh, ctx) ?? 0
        d.lowerThreshold = try a.u32(DestAttr.lThresh, ctx) ?? 0
        d.activeConnections = try a.u32(DestAttr.activeConns, ctx) ?? 0
        d.inactiveConnections = try a.u32(DestAttr.inactConns, ctx) ?? 0
        d.persistentConnections = try a.u32(DestAttr.persistConns, ctx) ?? 0
        if let t = try a.u8(DestAttr.tunType, ctx) {
            guard let type = TunnelType(rawValue: t) else { throw .malformedReply("\(ctx): unknown tunnel type \(t)") }
            d.tunnel.type = type
        }
        d.tunnel.port = try a.be16(DestAttr.tunPort, ctx) ?? 0
        if let f = try a.u16(DestAttr.tunFlags, ctx) {
            // Unknown checksum combinations (csum|remcsum) are kept as the closest known value rather than refused.
            d.tunnel.checksum = TunnelChecksum(rawValue: f) ?? .remote
        }
        d.stats = try stats(in: a, stats64: DestAttr.stats64, stats32: DestAttr.stats, ctx)
        return d
    }

    /// STATS64 when present (PAD skipped, exact 64-bit values), else STATS widened.
    static func stats(in a: NetlinkAttributes, stats64: UInt16, stats32: UInt16, _ ctx: String) throws(IPVSError) -> Stats {
        var s = Stats()
        // Literal contexts: a string built here would be built for every entry of a dump.
        let c64 = ctx == "service" ? "service STATS64" : ctx == "destination" ? "destination STATS64" : ctx + " STATS64"
        let c32 = ctx == "service" ? "service STATS" : ctx == "destination" ? "destination STATS" : ctx + " STATS"
        if let n = try a.nested(stats64, context: c64) {
            let c = c64
            s.connections = try n.u64(StatsAttr.conns, c) ?? 0
            s.inPackets = try n.u64(StatsAttr.inPkts, c) ?? 0
            s.outPackets = try n.u64(StatsAttr.outPkts, c) ?? 0
            s.inBytes = try n.u64(StatsAttr.inBytes, c) ?? 0
            s.outBytes = try n.u64(StatsAttr.outBytes, c) ?? 0
            s.connectionRate = try n.u64(StatsAttr.cps, c) ?? 0
            s.inPacketRate = try n.u64(StatsAttr.inPPS, c) ?? 0
            s.outPacketRate = try n.u64(StatsAttr.outPPS, c) ?? 0
            s.inByteRate = try n.u64(StatsAttr.inBPS, c) ?? 0
            s.outByteRate = try n.u64(StatsAttr.outBPS, c) ?? 0
        } else if let n = try a.nested(stats32, context: c32) {
            let c = c32
            s.connections = UInt64(try n.u32(StatsAttr.conns, c) ?? 0)
            s.inPackets = UInt64(try n.u32(StatsAttr.inPkts, c) ?? 0)
            s.outPackets = UInt64(try n.u32(StatsAttr.outPkts, c) ?? 0)
            s.inBytes = try n.u64(StatsAttr.inBytes, c) ?? 0
            s.outBytes = try n.u64(StatsAttr.outBytes, c) ?? 0
            s.connectionRate = UInt64(try n.u32(StatsAttr.cps, c) ?? 0)
            s.inPacketRate = UInt64(try n.u32(StatsAttr.inPPS, c) ?? 0)
            s.outPacketRate = UInt64(try n.u32(StatsAttr.outPPS, c) ?? 0)
            s.inByteRate = UInt64(try n.u32(StatsAttr.inBPS, c) ?? 0)
            s.outByteRate = UInt64(try n.u32(StatsAttr.outBPS, c) ?? 0)
        }
        return s
    }

    static func daemon(from top: NetlinkAttributes) throws(IPVSError) -> SyncDaemon {
        let ctx = "daemon"
        let a = try NetlinkAttributes.require(try top.nested(CmdAttr.daemon, context: ctx), "DAEMON nest", ctx)
        let stateRaw = try NetlinkAttributes.require(try a.u32(DaemonAttr.state, ctx), "STATE", ctx)
        guard let state = SyncDaemonState(rawValue: stateRaw) else { throw .malformedReply("\(ctx): unknown state \(stateRaw)") }
        let ifn = try NetlinkAttributes.require(a.string(DaemonAttr.mcastIfn), "MCAST_IFN", ctx)
        let id = try NetlinkAttributes.require(try a.u32(DaemonAttr.syncID, ctx), "SYNC_ID", ctx)
        var d = SyncDaemon(state: state, interface: ifn, syncID: id)
        d.maxLength = try a.u16(DaemonAttr.maxLen, ctx)
        // ipvsadm prints the group whenever the kernel sends it, 0.0.0.0 included.
        if let g = a.raw(DaemonAttr.group), g.count >= 4, let addr = IPAddress(bytes: g, family: .inet) {
            d.group = addr
        }
        if let g = a.raw(DaemonAttr.group6), let addr = IPAddress(bytes: g, family: .inet6), addr != .v6(0, 0) {
            d.group = addr
        }
        d.port = try a.u16(DaemonAttr.port, ctx)
        d.ttl = try a.u8(DaemonAttr.ttl, ctx)
        return d
    }

    static func timeouts(from a: NetlinkAttributes) throws(IPVSError) -> Timeouts {
        let ctx = "config"
        return Timeouts(
            tcp: try NetlinkAttributes.require(try a.u32(CmdAttr.timeoutTCP, ctx), "TIMEOUT_TCP", ctx),
            tcpFin: try NetlinkAttributes.require(try a.u32(CmdAttr.timeoutTCPFin, ctx), "TIMEOUT_TCP_FIN", ctx),
            udp: try NetlinkAttributes.require(try a.u32(CmdAttr.timeoutUDP, ctx), "TIMEOUT_UDP", ctx))
    }

    static func info(from a: NetlinkAttributes) throws(IPVSError) -> Info {
        let ctx = "info"
        return Info(
            versionCode: try NetlinkAttributes.require(try a.u32(InfoAttr.version, ctx), "VERSION", ctx),
            connectionTableSize: try NetlinkAttributes.require(try a.u32(InfoAttr.connTabSize, ctx), "CONN_TAB_SIZE", ctx))
    }
}
