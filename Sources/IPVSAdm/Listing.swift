import IPVSKit

/// ipvsadm's listings (`-L`, `-S`, `--timeout`, `--daemon`), byte for byte.
public struct Lister: Sendable {
    /// Resolves addresses and ports when the format is not numeric.
    public var resolver: any NameResolver
    public var format: ListFormat

    public init(format: ListFormat, resolver: any NameResolver = SystemResolver()) {
        self.format = format
        self.resolver = resolver
    }

    /// `list_all`: the version header (not for `-S`), the title and every service, sorted unless `--nosort`.
    public func all(_ entries: [ServiceEntry], info: Info) -> String {
        String(decoding: allBytes(entries, info: info), as: UTF8.self)
    }

    /// ``all(_:info:)`` as UTF-8 bytes, ready to write.
    public func allBytes(_ entries: [ServiceEntry], info: Info) -> [UInt8] {
        var out = TextBuffer(reservingCapacity: 64 + entries.count * 200)
        if !format.contains(.rule) {
            out.append("IP Virtual Server version \(info.version) (size=\(info.connectionTableSize))\n")
        }
        out.append(title())
        if format.contains(.noSort) {
            for e in entries { write(e, into: &out) }
        } else {
            let keys = entries.map { IpvsadmSort.ServiceSortKey($0.service.key) }
            let order = keys.withUnsafeBufferPointer { k in
                IpvsadmSort.mergeSortPositions(count: k.count) { IpvsadmSort.compareServiceKeys(k[$0], k[$1]) }
            }
            for i in order { write(entries[i], into: &out) }
        }
        return out.bytes
    }

    /// `list_service`: the title and one service.
    public func one(_ e: ServiceEntry) -> String { title() + entry(e) }

    /// `print_title`.
    public func title() -> String {
        let prot = "Prot LocalAddress:Port"
        let remote = "  -> RemoteAddress:Port\n"
        if format.contains(.stats) {
            return CFormat.left(prot, 33) + ["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"].map { " " + CFormat.right($0, 8) }.joined() + "\n" + remote
        }
        if format.contains(.rate) {
            return CFormat.left(prot, 33) + ["CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"].map { " " + CFormat.right($0, 8) }.joined() + "\n" + remote
        }
        if format.contains(.thresholds) {
            return CFormat.left(prot, 33) + ["Uthreshold", "Lthreshold", "ActiveConn", "InActConn"].map { " " + CFormat.left($0, 10) }.joined() + "\n" + remote
        }
        if format.contains(.persistentConn) {
            return CFormat.left(prot, 33) + " " + CFormat.left("Weight", 9) + " " + CFormat.left("PersistConn", 11) + " "
                + CFormat.left("ActiveConn", 10) + " " + CFormat.left("InActConn", 10) + "\n" + remote
        }
        if format.contains(.tunInfo) {
            return "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
        }
        if !format.contains(.rule) {
            return "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        }
        return ""
    }

    /// `addrport_to_anyname`.
    func addressPort(_ a: IPAddress, _ port: UInt16, protocol proto: UInt16) -> String {
        var out = TextBuffer()
        appendAddressPort(a, port, protocol: proto, to: &out)
        return out.string
    }

    private func appendAddressPort(_ a: IPAddress, _ port: UInt16, protocol proto: UInt16, to out: inout TextBuffer) {
        if format.contains(.numeric) {
            switch a {
            case .v4(let v): out.appendIPv4(v)
            case .v6: out.append("["); out.append(a.description); out.append("]")
            }
            out.append(":")
            out.appendDecimal(port)
            return
        }
        let host = resolver.hostName(for: a) ?? a.description
        let service = resolver.serviceName(forPort: port, protocol: proto) ?? String(port)
        if a.family == .inet {
            out.append(host)
        } else {
            out.append("["); out.append(host); out.append("]")
        }
        out.append(":")
        out.append(service)
    }

    private static func flagText(_ s: Service) -> String {
        var parts: [String] = []
        let f = s.flags
        if s.scheduler == "sh" {
            if f.contains(.scheduler1) { parts.append("sh-fallback") }
            if f.contains(.scheduler2) { parts.append("sh-port") }
        } else if s.scheduler == "mh" {
            if f.contains(.scheduler1) { parts.append("mh-fallback") }
            if f.contains(.scheduler2) { parts.append("mh-port") }
        } else {
            if f.contains(.scheduler1) { parts.append("flag-1") }
            if f.contains(.scheduler2) { parts.append("flag-2") }
            if f.contains(.scheduler3) { parts.append("flag-3") }
        }
        return parts.joined(separator: ",")
    }

    private static func protocolNumber(_ k: ServiceKey) -> UInt16 {
        if case .address(let p, _, _) = k { return p.rawValue }
        return 0
    }

    /// The IPv4 mask as `inet_ntoa` prints it.
    private static func dotted(_ m: UInt32) -> String { IPAddress.v4(m).description }

    /// `print_service_entry`.
    public func entry(_ e: ServiceEntry) -> String {
        var out = TextBuffer()
        write(e, into: &out)
        return out.string
    }

    private func write(_ e: ServiceEntry, into out: inout TextBuffer) {
        let se = e.service
        let rule = format.contains(.rule)
        let proto = Self.protocolNumber(se.key)
        var svcName = TextBuffer()
        switch se.key {
        case .firewallMark(let m, let f):
            let shown = Int32(bitPattern: m)
            svcName.append(rule ? "-f " : "FWM  ")
            svcName.appendDecimal(shown)
            if f == .inet6 { svcName.append(rule ? " -6" : " IPv6") }
        case .address(let p, let a, let port):
            if rule {
                let option: String = switch p {
                case .tcp: "-t "
                case .udp: "-u "
                case .sctp: "--sctp-service "
                }
                svcName.append(option)
                appendAddressPort(a, port, protocol: p.rawValue, to: &svcName)
            } else {
                svcName.appendLeft(p.description, 4)
                svcName.append(" ")
                appendAddressPort(a, port, protocol: p.rawValue, to: &svcName)
                if a.family != .inet6 { svcName.cut(from: 0, at: 33) }
            }
        }
        let schedBits = se.flags.intersection([.scheduler1, .scheduler2, .scheduler3])
        let persistent = se.flags.contains(.persistent)
        let v4 = se.key.family == .inet
        if rule {
            out.append("-A ")
            out.append(svcName)
            out.append(" -s ")
            out.append(se.scheduler)
            if persistent {
                out.append(" -p ")
                out.appendDecimal(se.persistenceTimeout)
                if v4, se.netmask != 0xFFFF_FFFF { out.append(" -M \(Self.dotted(se.netmask))") }
                if !v4, se.netmask != 128 { out.append(" -M \(Int32(bitPattern: se.netmask))") }
            }
            if let pe = se.persistenceEngine, !pe.isEmpty { out.append(" --pe \(pe)") }
            if se.flags.contains(.onePacket) { out.append(" -o") }
            if !schedBits.isEmpty { out.append(" -b " + Self.flagText(se)) }
        } else if format.contains(.stats) {
            let start = out.count
            out.append(svcName)
            out.pad(from: start, to: 33)
            let s = se.stats
            for v in [s.connections, s.inPackets, s.outPackets, s.inBytes, s.outBytes] {
                out.append(CFormat.largeNumber(v, exact: format.contains(.exact)))
            }
        } else if format.contains(.rate) {
            let start = out.count
            out.append(svcName)
            out.pad(from: start, to: 33)
            let s = se.stats
            for v in [s.connectionRate, s.inPacketRate, s.outPacketRate, s.inByteRate, s.outByteRate] {
                out.append(CFormat.largeNumber(v, exact: format.contains(.exact)))
            }
        } else {
            out.append(svcName)
            out.append(" ")
            out.append(se.scheduler)
            if !schedBits.isEmpty { out.append(" (" + Self.flagText(se) + ")") }
            if persistent {
                out.append(" persistent ")
                out.appendDecimal(se.persistenceTimeout)
                if v4, se.netmask != 0xFFFF_FFFF { out.append(" mask \(Self.dotted(se.netmask))") }
                if !v4, se.netmask != 128 { out.append(" mask \(Int32(bitPattern: se.netmask))") }
                if let pe = se.persistenceEngine, !pe.isEmpty { out.append(" pe \(pe)") }
            }
            if se.flags.contains(.onePacket) { out.append(" ops") }
        }
        out.append("\n")

        let dests = format.contains(.noSort) ? e.destinations : IpvsadmSort.mergeSort(e.destinations, IpvsadmSort.compareDestinations)
        let exact = format.contains(.exact)
        for d in dests {
            if rule {
                writeSaveLine(svcName, d, proto: proto, into: &out)
                continue
            }
            out.append("  -> ")
            let nameStart = out.count
            appendAddressPort(d.address, d.port, protocol: proto, to: &out)
            if d.address.family != .inet6 { out.cut(from: nameStart, at: 28) }
            out.pad(from: nameStart, to: 28)
            let fwdName = d.forwarding.ipvsadmName ?? "(null)"
            // libipvs reads destination STATS64 with its 32-bit getter for every counter but the byte counts.
            let s = d.stats
            func low(_ v: UInt64) -> UInt64 { v & 0xFFFF_FFFF }
            if format.contains(.stats) {
                for v in [low(s.connections), low(s.inPackets), low(s.outPackets), s.inBytes, s.outBytes] {
                    out.append(CFormat.largeNumber(v, exact: exact))
                }
            } else if format.contains(.rate) {
                for v in [low(s.connectionRate), low(s.inPacketRate), low(s.outPacketRate)] {
                    out.append(" " + CFormat.right(String(v), 8))
                }
                out.append(CFormat.largeNumber(low(s.inByteRate), exact: exact))
                out.append(CFormat.largeNumber(low(s.outByteRate), exact: exact))
            } else if format.contains(.thresholds) {
                for v in [d.upperThreshold, d.lowerThreshold, d.activeConnections, d.inactiveConnections] {
                    out.append(" ")
                    out.appendLeftDecimal(v, 10)
                }
            } else if format.contains(.persistentConn) {
                out.append(" "); out.appendLeftDecimal(UInt32(bitPattern: d.weight), 9)
                out.append(" "); out.appendLeftDecimal(d.persistentConnections, 11)
                out.append(" "); out.appendLeftDecimal(d.activeConnections, 10)
                out.append(" "); out.appendLeftDecimal(d.inactiveConnections, 10)
            } else if format.contains(.tunInfo) {
                out.append(" "); out.appendLeft(fwdName, 7)
                out.append(" "); out.appendLeft(Self.tunnelInfo(d) ?? "n/a", 13)
                out.append(" "); out.appendLeftDecimal(d.weight, 6)
                out.append(" "); out.appendLeftDecimal(d.activeConnections, 10)
                out.append(" "); out.appendLeftDecimal(d.inactiveConnections, 10)
            } else {
                out.append(" "); out.appendLeft(fwdName, 7)
                out.append(" "); out.appendLeftDecimal(d.weight, 6)
                out.append(" "); out.appendLeftDecimal(d.activeConnections, 10)
                out.append(" "); out.appendLeftDecimal(d.inactiveConnections, 10)
            }
            out.append("\n")
        }
    }

    static let tunnelNames = ["ipip", "gue", "gre"]
    static let tunnelFlagNames = ["-c", "+c", "r+c"]
    static let tunnelFlagOptions = ["--tun-nocsum", "--tun-csum", "--tun-remcsum"]

    /// `fwd_tun_info`, cut to 15 characters as its 16-byte buffer does.
    static func tunnelInfo(_ d: Destination) -> String? {
        guard d.forwarding == .tunnel else { return nil }
        let t = d.tunnel
        let flag = tunnelFlagNames[Int(t.checksum.rawValue) % 3]
        let s: String = switch t.type {
        case .ipip: "ipip"
        case .gue: "gue:\(t.port):\(flag)"
        case .gre: "gre:\(flag)"
        }
        return CFormat.cut(s, 15)
    }

    private func writeSaveLine(_ svc: TextBuffer, _ d: Destination, proto: UInt16, into out: inout TextBuffer) {
        out.append("-a ")
        out.append(svc)
        out.append(" -r ")
        appendAddressPort(d.address, d.port, protocol: proto, to: &out)
        let method: String = switch d.forwarding {
        case .masquerade: " -m -w "
        case .tunnel: " -i -w "
        case .local, .route: " -g -w "
        case .bypass: " (null) -w "
        }
        out.append(method)
        out.appendDecimal(d.weight)
        if d.forwarding == .tunnel {
            let opt = Self.tunnelFlagOptions[Int(d.tunnel.checksum.rawValue) % 3]
            switch d.tunnel.type {
            case .gre: out.append(" --tun-type gre \(opt)")
            case .gue: out.append(" --tun-type gue --tun-port \(d.tunnel.port) \(opt)")
            case .ipip: out.append(" --tun-type ipip")
            }
        }
        out.append("\n")
    }

    /// `list_timeout`.
    public static func timeouts(_ t: Timeouts) -> String {
        "Timeout (tcp tcpfin udp): \(Int32(bitPattern: t.tcp)) \(Int32(bitPattern: t.tcpFin)) \(Int32(bitPattern: t.udp))\n"
    }

    /// `list_daemon`: master first, then backup.
    public static func daemons(_ ds: [SyncDaemon]) -> String {
        var out = ""
        for state in [SyncDaemonState.master, .backup] {
            guard let d = ds.first(where: { $0.state == state }) else { continue }
            out += "\(state == .master ? "master" : "backup") sync daemon (mcast=\(d.interface), syncid=\(Int32(bitPattern: d.syncID))"
            if let m = d.maxLength, m != 0 { out += ", maxlen=\(m)" }
            if let g = d.group { out += ", group=\(g)" }
            if let p = d.port, p != 0 { out += ", port=\(p)" }
            if let t = d.ttl, t != 0 { out += ", ttl=\(t)" }
            out += ")\n"
        }
        return out
    }
}
