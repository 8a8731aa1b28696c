import IPVSKit

/// lvsctl's `--json` output: every attribute the kernel reports, exact 64-bit counters, keys in a fixed order.
/// The schema is documented in `docs/lvsctl-json.md`.
public enum JSONListing {
    /// The whole table: `{"version":..,"connectionTableSize":..,"services":[...]}`.
    public static func table(_ entries: [ServiceEntry], info: Info?) -> String {
        let w = JSONWriter()
        w.object {
            if let info {
                w.field("version") { w.string(info.version) }
                w.field("connectionTableSize") { w.number(UInt64(info.connectionTableSize)) }
            }
            w.field("services") { w.array(entries) { service($0, into: w) } }
        }
        return w.text + "\n"
    }

    /// One service with its destinations.
    public static func one(_ e: ServiceEntry) -> String {
        let w = JSONWriter()
        service(e, into: w)
        return w.text + "\n"
    }

    /// `{"tcp":..,"tcpFin":..,"udp":..}`.
    public static func timeouts(_ t: Timeouts) -> String {
        let w = JSONWriter()
        w.object {
            w.field("tcp") { w.number(UInt64(t.tcp)) }
            w.field("tcpFin") { w.number(UInt64(t.tcpFin)) }
            w.field("udp") { w.number(UInt64(t.udp)) }
        }
        return w.text + "\n"
    }

    /// `{"daemons":[...]}`.
    public static func daemons(_ ds: [SyncDaemon]) -> String {
        let w = JSONWriter()
        w.object {
            w.field("daemons") {
                w.array(ds) { d in
                    w.object {
                        w.field("state") { w.string(d.state == .master ? "master" : "backup") }
                        w.field("interface") { w.string(d.interface) }
                        w.field("syncID") { w.number(UInt64(d.syncID)) }
                        w.field("maxLength") { if let m = d.maxLength { w.number(UInt64(m)) } else { w.null() } }
                        w.field("group") { if let g = d.group { w.string(g.description) } else { w.null() } }
                        w.field("port") { if let p = d.port { w.number(UInt64(p)) } else { w.null() } }
                        w.field("ttl") { if let t = d.ttl { w.number(UInt64(t)) } else { w.null() } }
                    }
                }
            }
        }
        return w.text + "\n"
    }

    static func service(_ e: ServiceEntry, into w: JSONWriter) {
        let s = e.service
        w.object {
            w.field("family") { w.string(s.key.family == .inet ? "inet" : "inet6") }
            switch s.key {
            case .firewallMark(let m, _):
                w.field("fwmark") { w.number(UInt64(m)) }
                w.field("protocol") { w.null() }
                w.field("address") { w.null() }
                w.field("port") { w.null() }
            case .address(let p, let a, let port):
                w.field("fwmark") { w.null() }
                w.field("protocol") { w.string(p.description.lowercased()) }
                w.field("address") { w.string(a.description) }
                w.field("port") { w.number(UInt64(port)) }
            }
            w.field("scheduler") { w.string(s.scheduler) }
            w.field("flags") { w.number(UInt64(s.flags.rawValue)) }
            w.field("persistent") { w.bool(s.flags.contains(.persistent)) }
            w.field("onePacket") { w.bool(s.flags.contains(.onePacket)) }
            w.field("schedulerFlags") {
                let names = [(ServiceFlags.scheduler1, "flag-1"), (.scheduler2, "flag-2"), (.scheduler3, "flag-3")]
                w.array(names.filter { s.flags.contains($0.0) }) { w.string($0.1) }
            }
            w.field("timeout") { w.number(UInt64(s.persistenceTimeout)) }
            w.field("netmask") {
                if s.key.family == .inet { w.string(IPAddress.v4(s.netmask).description) } else { w.number(UInt64(s.netmask)) }
            }
            w.field("persistenceEngine") { if let pe = s.persistenceEngine { w.string(pe) } else { w.null() } }
            w.field("stats") { stats(s.stats, into: w) }
            w.field("destinations") {
                w.array(e.destinations) { d in
                    w.object {
                        w.field("family") { w.string(d.address.family == .inet ? "inet" : "inet6") }
                        w.field("address") { w.string(d.address.description) }
                        w.field("port") { w.number(UInt64(d.port)) }
                        w.field("forwarding") {
                            w.string(forwardingName(d.forwarding))
                        }
                        w.field("weight") { w.number(Int64(d.weight)) }
                        w.field("upperThreshold") { w.number(UInt64(d.upperThreshold)) }
                        w.field("lowerThreshold") { w.number(UInt64(d.lowerThreshold)) }
                        w.field("activeConnections") { w.number(UInt64(d.activeConnections)) }
                        w.field("inactiveConnections") { w.number(UInt64(d.inactiveConnections)) }
                        w.field("persistentConnections") { w.number(UInt64(d.persistentConnections)) }
                        w.field("tunnel") {
                            w.object {
                                w.field("type") { w.string(Lister.tunnelNames[Int(d.tunnel.type.rawValue)]) }
                                w.field("port") { w.number(UInt64(d.tunnel.port)) }
                                w.field("checksum") {
                                    w.string(checksumName(d.tunnel.checksum))
                                }
                            }
                        }
                        w.field("stats") { stats(d.stats, into: w) }
                    }
                }
            }
        }
    }

    static func forwardingName(_ f: ForwardingMethod) -> String {
        switch f {
        case .masquerade: "masquerade"
        case .local: "local"
        case .tunnel: "tunnel"
        case .route: "route"
        case .bypass: "bypass"
        }
    }

    static func checksumName(_ c: TunnelChecksum) -> String {
        switch c {
        case .none: "none"
        case .checksum: "checksum"
        case .remote: "remote"
        }
    }

    static func stats(_ s: Stats, into w: JSONWriter) {
        w.object {
            w.field("connections") { w.number(s.connections) }
            w.field("inPackets") { w.number(s.inPackets) }
            w.field("outPackets") { w.number(s.outPackets) }
            w.field("inBytes") { w.number(s.inBytes) }
            w.field("outBytes") { w.number(s.outBytes) }
            w.field("connectionRate") { w.number(s.connectionRate) }
            w.field("inPacketRate") { w.number(s.inPacketRate) }
            w.field("outPacketRate") { w.number(s.outPacketRate) }
            w.field("inByteRate") { w.number(s.inByteRate) }
            w.field("outByteRate") { w.number(s.outByteRate) }
        }
    }
}

/// A minimal JSON writer: compact output, keys in the order written, integers printed exactly.
final class JSONWriter {
    private(set) var text = ""
    private var needsComma = [false]

    private func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    func object(_ body: () -> Void) {
        separate()
        text += "{"
        needsComma.append(false)
        body()
        needsComma.removeLast()
        text += "}"
    }

    func array<T>(_ items: [T], _ body: (T) -> Void) {
        separate()
        text += "["
        needsComma.append(false)
        for i in items { body(i) }
        needsComma.removeLast()
        text += "]"
    }

    func field(_ name: String, _ body: () -> Void) {
        separate()
        text += Self.quote(name) + ":"
        needsComma.append(false)
        body()
        needsComma.removeLast()
    }

    func string(_ s: String) { separate(); text += Self.quote(s) }
    func number(_ n: UInt64) { separate(); text += String(n) }
    func number(_ n: Int64) { separate(); text += String(n) }
    func bool(_ b: Bool) { separate(); text += b ? "true" : "false" }
    func null() { separate(); text += "null" }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
