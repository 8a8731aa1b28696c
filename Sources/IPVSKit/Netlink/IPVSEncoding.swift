/// Encodes IPVS requests in the attribute order ipvsadm 1.31 uses, so captured ipvsadm bytes are golden fixtures.
extension NetlinkWriter {
    /// A service nest: identity only (for delete, get, zero and destination commands) or the full description.
    mutating func service(_ service: Service, full: Bool) {
        let nest = beginNest(CmdAttr.service)
        serviceIdentity(service.key)
        if full {
            string(SvcAttr.schedName, service.scheduler)
            if let pe = service.persistenceEngine, !pe.isEmpty { string(SvcAttr.peName, pe) }
            // struct ip_vs_flags { flags; mask }: 8 bytes.
            appendHost(UInt16(12)); appendHost(SvcAttr.flags)
            appendHost(service.flags.intersection(.settable).rawValue); appendHost(UInt32.max)
            u32(SvcAttr.timeout, service.persistenceTimeout)
            // NETMASK is raw: an IPv4 mask in network order, an IPv6 prefix length in host order.
            if service.key.family == .inet {
                appendHost(UInt16(8)); appendHost(SvcAttr.netmask); appendBig(service.netmask)
            } else {
                u32(SvcAttr.netmask, service.netmask)
            }
        }
        endNest(nest)
    }

    /// The identity attributes of a service, without the enclosing nest.
    mutating func serviceIdentity(_ key: ServiceKey) {
        u16(SvcAttr.af, key.family.rawValue)
        switch key {
        case .address(let proto, let address, let port):
            u16(SvcAttr.proto, proto.rawValue)
            self.address(SvcAttr.addr, address)
            be16(SvcAttr.port, port)
        case .firewallMark(let mark, _):
            u32(SvcAttr.fwmark, mark)
        }
    }

    /// A destination nest: identity only (delete) or the full description.
    mutating func destination(_ d: Destination, full: Bool) {
        let nest = beginNest(CmdAttr.dest)
        u16(DestAttr.addrFamily, d.address.family.rawValue)
        address(DestAttr.addr, d.address)
        be16(DestAttr.port, d.port)
        if full {
            u32(DestAttr.fwdMethod, d.forwarding.rawValue)
            u32(DestAttr.weight, UInt32(bitPattern: d.weight))
            // ipvsadm sends the tunnel attributes for every forwarding method; the kernel uses them for tunnels only.
            let tunnel = d.forwarding == .tunnel ? d.tunnel : TunnelSettings()
            u8(DestAttr.tunType, tunnel.type.rawValue)
            be16(DestAttr.tunPort, tunnel.port)
            u16(DestAttr.tunFlags, tunnel.checksum.rawValue)
            u32(DestAttr.uThresh, d.upperThreshold)
            u32(DestAttr.lThresh, d.lowerThreshold)
        }
        endNest(nest)
    }

    /// An address as the kernel carries it in `union nf_inet_addr`: 16 bytes, network order, IPv4 in the first
    /// four (what ``IPAddress/kernelBytes`` holds), written without building an array.
    mutating func address(_ type: UInt16, _ address: IPAddress) {
        switch address {
        case .v4(let v):
            fixedAddress(type, v.bigEndian, 0)
        case .v6(let hi, let lo):
            fixedAddress(type, hi.bigEndian, lo.bigEndian)
        }
    }

    /// A sync-daemon nest.
    mutating func daemon(_ d: SyncDaemon, full: Bool) {
        let nest = beginNest(CmdAttr.daemon)
        u32(DaemonAttr.state, d.state.rawValue)
        if full {
            string(DaemonAttr.mcastIfn, d.interface)
            u32(DaemonAttr.syncID, d.syncID)
            if let m = d.maxLength { u16(DaemonAttr.maxLen, m) }
            switch d.group {
            case .v4?: attribute(DaemonAttr.group, d.group?.bytes ?? [])
            case .v6?: attribute(DaemonAttr.group6, d.group?.bytes ?? [])
            case nil: break
            }
            if let p = d.port { u16(DaemonAttr.port, p) }
            if let t = d.ttl { u8(DaemonAttr.ttl, t) }
        }
        endNest(nest)
    }
}
