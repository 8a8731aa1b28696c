import IPVSKit

/// `ipvsadm -Lc`: the connection table, from the text of `/proc/net/ip_vs_conn`.
public struct ConnectionLister: Sendable {
    public var format: ListFormat
    public var resolver: any NameResolver

    public init(format: ListFormat, resolver: any NameResolver = SystemResolver()) {
        self.format = format
        self.resolver = resolver
    }

    /// The listing for the file's contents; `nil` when the file has no header line (ipvsadm then fails).
    public func render(_ procText: String) -> String? {
        var lines = procText.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { return nil }
        var out = "IPVS connection entries\n"
        if format.contains(.persistentConn) {
            out += "pro expire " + CFormat.left("state", 11) + " " + CFormat.left("source", 18) + " " + CFormat.left("virtual", 18)
                + " " + CFormat.left("destination", 18) + " " + CFormat.left("pe name", 16) + " pe_data\n"
        } else {
            out += "pro expire " + CFormat.left("state", 11) + " " + CFormat.left("source", 18) + " " + CFormat.left("virtual", 18) + " destination\n"
        }
        for line in lines.dropFirst() { out += row(String(line)) }
        return out
    }

    private func row(_ line: String) -> String {
        let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard f.count >= 8 else { return "" }
        let proto: UInt16 = switch f[0] {
        case "TCP": 6
        case "UDP": 17
        case "SCTP": 132
        default: 0
        }
        func port(_ s: String) -> UInt16 { UInt16(s, radix: 16) ?? 0 }
        func hexV4(_ s: String) -> IPAddress { .v4(UInt32(truncatingIfNeeded: UInt64(s, radix: 16) ?? 0)) }
        let client: IPAddress, virtual: IPAddress
        if let c = CommandLineParser.ipv6(f[1]) {
            client = c
            virtual = CommandLineParser.ipv6(f[3]) ?? .v6(0, 0)
        } else if let c = IPAddress(f[1]), c.family == .inet {
            client = c
            virtual = IPAddress(f[3]) ?? .v4(0)
        } else {
            client = hexV4(f[1])
            virtual = hexV4(f[3])
        }
        let dest: IPAddress = CommandLineParser.ipv6(f[5]) ?? (IPAddress(f[5]).flatMap { $0.family == .inet ? $0 : nil } ?? hexV4(f[5]))
        let lister = Lister(format: format, resolver: resolver)
        let cname = lister.addressPort(client, port(f[2]), protocol: proto)
        let vname = lister.addressPort(virtual, port(f[4]), protocol: proto)
        let dname = lister.addressPort(dest, port(f[6]), protocol: proto)
        let expires = f.count > 8 ? Int(Int32(truncatingIfNeeded: Int(f[8]) ?? 0)) : 0
        let m = expires / 60, s = expires % 60
        let expire = (m < 10 ? "0" : "") + String(m) + ":" + (s < 10 ? "0" : "") + String(s)
        var out = CFormat.left(f[0], 3) + " " + CFormat.left(expire, 6) + " " + CFormat.left(f[7], 11) + " "
            + CFormat.left(cname, 18) + " " + CFormat.left(vname, 18) + " "
        if format.contains(.persistentConn), f.count >= 11 {
            out += CFormat.left(dname, 16) + " " + CFormat.left(f[9], 18) + " " + f[10] + "\n"
        } else {
            out += dname + "\n"
        }
        return out
    }
}
