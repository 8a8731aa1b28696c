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
        var out = ""
        if !format.contains(.rule) {
            out += "IP Virtual Server version \(info.version) (size=\(info.connectionTableSize))\n"
        }
        out += title()
        let sorted = format.contains(.noSort) ? entries : IpvsadmSort.mergeSort(entries) {
            IpvsadmSort.compareServices($0.service, $1.service)
        }
        for e in sorted { out += entry(e) }
        return out
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
        let open = a.family == .inet ? "" : "["
        let close = a.family == .inet ? "" : "]"
        if format.contains(.numeric) { return "\(open)\(a)\(close):\(port)" }
        let host = resolver.hostName(for: a) ?? a.description
        let service = resolver.serviceName(forPort: port, protocol: proto) ?? String(port)
        return "\(open)\(host)\(close):\(service)"
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
        let se = e.service
        let rule = format.contains(.rule)
        let proto = Self.protocolNumber(se.key)
        var svcName: String
        switch se.key {
        case .firewallMark(let m, let f):
            let shown = Int32(bitPattern: m)
            if rule { svcName = f == .inet6 ? "-f \(shown) -6" : "-f \(shown)" } else { svcName = f == .inet6 ? "FWM  \(shown) IPv6" : "FWM  \(shown)" }
        case .address(let p, let a, let port):
            let vname = addressPort(a, port, protocol: p.rawValue)
            if rule {
                let stype: String = switch p {
                case .tcp: "-t"
                case .udp: "-u"
                case .sctp: "--sctp-service"
                }
                svcName = "\(stype) \(vname)"
            } else {
                svcName = CFormat.left(p.description, 4) + " " + vname
                if a.family != .inet6 { svcName = CFormat.cut(svcName, 33) }
            }
        }
        let schedBits = se.flags.intersection([.scheduler1, .scheduler2, .scheduler3])
        let persistent = se.flags.contains(.persistent)
        let v4 = se.key.family == .inet
        var out = ""
        if rule {
            out += "-A \(svcName) -s \(se.scheduler)"
            if persistent {
                out += " -p \(se.persistenceTimeout)"
                if v4, se.netmask != 0xFFFF_FFFF { out += " -M \(Self.dotted(se.netmask))" }
                if !v4, se.netmask != 128 { out += " -M \(Int32(bitPattern: se.netmask))" }
            }
            if let pe = se.persistenceEngine, !pe.isEmpty { out += " --pe \(pe)" }
            if se.flags.contains(.onePacket) { out += " -o" }
            if !schedBits.isEmpty { out += " -b " + Self.flagText(se) }
        } else if format.contains(.stats) {
            out += CFormat.left(svcName, 33)
            let s = se.stats
            for v in [s.connections, s.inPackets, s.outPackets, s.inBytes, s.outBytes] { out += CFormat.largeNumber(v, exact: format.contains(.exact)) }
        } else if format.contains(.rate) {
            out += CFormat.left(svcName, 33)
            let s = se.stats
            for v in [s.connectionRate, s.inPacketRate, s.outPacketRate, s.inByteRate, s.outByteRate] { out += CFormat.largeNumber(v, exact: format.contains(.exact)) }
        } else {
            out += "\(svcName) \(se.scheduler)"
            if !schedBits.isEmpty {
                let t = Self.flagText(se)
                out += " (" + t + ")"
            }
            if persistent {
                out += " persistent \(se.persistenceTimeout)"
                if v4, se.netmask != 0xFFFF_FFFF { out += " mask \(Self.dotted(se.netmask))" }
                if !v4, se.netmask != 128 { out += " mask \(Int32(bitPattern: se.netmask))" }
                if let pe = se.persistenceEngine, !pe.isEmpty { out += " pe \(pe)" }
            }
            if se.flags.contains(.onePacket) { out += " ops" }
        }
        out += "\n"

        let dests = format.contains(.noSort) ? e.destinations : IpvsadmSort.mergeSort(e.destinations, IpvsadmSort.compareDestinations)
        let exact = format.contains(.exact)
        for d in dests {
            var dname = addressPort(d.address, d.port, protocol: proto)
            if !rule, d.address.family != .inet6 { dname = CFormat.cut(dname, 28) }
            let fwdName = d.forwarding.ipvsadmName ?? "(null)"
            // libipvs reads destination STATS64 with its 32-bit getter for every counter but the byte counts.
            let s = d.stats
            func low(_ v: UInt64) -> UInt64 { v & 0xFFFF_FFFF }
            if rule {
                out += saveLine(svcName, dname, d)
            } else if format.contains(.stats) {
                out += "  -> " + CFormat.left(dname, 28)
                for v in [low(s.connections), low(s.inPackets), low(s.outPackets), s.inBytes, s.outBytes] { out += CFormat.largeNumber(v, exact: exact) }
                out += "\n"
            } else if format.contains(.rate) {
                out += "  -> " + CFormat.left(dname, 28)
                for v in [low(s.connectionRate), low(s.inPacketRate), low(s.outPacketRate)] { out += " " + CFormat.right(String(v), 8) }
                out += CFormat.largeNumber(low(s.inByteRate), exact: exact) + CFormat.largeNumber(low(s.outByteRate), exact: exact) + "\n"
            } else if format.contains(.thresholds) {
                out += "  -> " + CFormat.left(dname, 28)
                for v in [d.upperThreshold, d.lowerThreshold, d.activeConnections, d.inactiveConnections] { out += " " + CFormat.left(String(v), 10) }
                out += "\n"
            } else if format.contains(.persistentConn) {
                out += "  -> " + CFormat.left(dname, 28) + " " + CFormat.left(String(UInt32(bitPattern: d.weight)), 9) + " "
                    + CFormat.left(String(d.persistentConnections), 11) + " " + CFormat.left(String(d.activeConnections), 10) + " "
                    + CFormat.left(String(d.inactiveConnections), 10) + "\n"
            } else if format.contains(.tunInfo) {
                out += "  -> " + CFormat.left(dname, 28) + " " + CFormat.left(fwdName, 7) + " " + CFormat.left(Self.tunnelInfo(d) ?? "n/a", 13) + " "
                    + CFormat.left(String(d.weight), 6) + " " + CFormat.left(String(d.activeConnections), 10) + " "
                    + CFormat.left(String(d.inactiveConnections), 10) + "\n"
            } else {
                out += "  -> " + CFormat.left(dname, 28) + " " + CFormat.left(fwdName, 7) + " " + CFormat.left(String(d.weight), 6) + " "
                    + CFormat.left(String(d.activeConnections), 10) + " " + CFormat.left(String(d.inactiveConnections), 10) + "\n"
            }
        }
        return out
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

    private func saveLine(_ svc: String, _ dname: String, _ d: Destination) -> String {
        let sw: String = switch d.forwarding {
        case .masquerade: "-m"
        case .tunnel: "-i"
        case .local, .route: "-g"
        case .bypass: "(null)"
        }
        let base = "-a \(svc) -r \(dname) \(sw) -w \(d.weight)"
        guard d.forwarding == .tunnel else { return base + "\n" }
        let opt = Self.tunnelFlagOptions[Int(d.tunnel.checksum.rawValue) % 3]
        switch d.tunnel.type {
        case .gre: return base + " --tun-type gre \(opt)\n"
        case .gue: return base + " --tun-type gue --tun-port \(d.tunnel.port) \(opt)\n"
        case .ipip: return base + " --tun-type ipip\n"
        }
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
