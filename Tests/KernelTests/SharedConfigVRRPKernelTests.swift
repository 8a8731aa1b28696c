import Foundation
import Glibc
import Testing

/// The keepalived.conf files people publish (../shared/configs, copied into the fixtures) run as VRRP: each file is
/// given, unchanged, to keepalived 2.2.7 in one namespace and to lvsd in another, each namespace with the
/// interfaces the file names (veths whose other ends sit in a "wire" namespace that listens). Both must end with the
/// same instance states, the same VIPs (address, prefix, device, label) and the same adverts on the wire, byte for
/// byte (VRRP message, destination, TTL, TOS).
@Suite(.serialized) struct SharedConfigVRRPKernelTests {
    static let files = ["000-04", "000-05", "000-07", "002-21", "002-33"]

    @Test(arguments: files) func runsAsKeepalivedRunsIt(_ file: String) throws {
        let text = try String(contentsOfFile: "\(Self.fixtures)/shared/\(file).conf", encoding: .utf8)
        let interfaces = Self.interfaces(in: text)
        try #require(!interfaces.isEmpty, "\(file) names no interface")
        let ka = try World("k\(file.filter(\.isNumber))", interfaces: interfaces)
        let lv = try World("l\(file.filter(\.isNumber))", interfaces: interfaces)
        let kaNode = try VRRPNode(.keepalived, in: ka.host, label: "ka-\(file)")
        let lvNode = try VRRPNode(.lvsd, in: lv.host, label: "lvsd-\(file)")
        try kaNode.start(text)
        try lvNode.start(text, extra: ["-P"])
        defer {
            kaNode.stop()
            lvNode.stop()
        }
        let names = Self.instanceNames(in: text)
        // Every instance settles: a BACKUP hearing nobody takes over after 3 adverts and the skew (< 4 s here).
        func settled(_ n: VRRPNode) -> Bool {
            names.allSatisfy { Self.lastState(of: $0, in: n.log) == "MASTER" || Self.lastState(of: $0, in: n.log) == "FAULT" }
        }
        #expect(waitUntil(40) { settled(kaNode) && settled(lvNode) }, "\(kaNode.diagnostics)\n\(lvNode.diagnostics)")
        sleep(1)
        for name in names {
            #expect(Self.lastState(of: name, in: lvNode.log) == Self.lastState(of: name, in: kaNode.log),
                    "\(file) (\(name)): lvsd and keepalived differ\n\(kaNode.diagnostics)\n\(lvNode.diagnostics)")
        }
        let kaAddresses = try ka.vips(), lvAddresses = try lv.vips()
        #expect(!kaAddresses.isEmpty, "keepalived added no VIP for \(file)\n\(kaNode.diagnostics)")
        #expect(!kaAddresses.contains { $0.hasSuffix("label ?") }, "unreadable `ip -o addr` output: \(kaAddresses)")
        #expect(lvAddresses == kaAddresses, "\(file): VIPs differ\nkeepalived: \(kaAddresses.sorted())\nlvsd: \(lvAddresses.sorted())")
        let kaAdverts = try ka.adverts(seconds: 3), lvAdverts = try lv.adverts(seconds: 3)
        #expect(!kaAdverts.isEmpty, "keepalived sent nothing for \(file)")
        #expect(lvAdverts == kaAdverts, "\(file): adverts differ\nkeepalived: \(kaAdverts.sorted())\nlvsd: \(lvAdverts.sorted())")
    }

    static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("KeepalivedConfigFixtures").path
    }

    /// The interfaces `vrrp_instance` blocks name (comments stripped), in order of first use.
    static func interfaces(in text: String) -> [String] {
        var seen: [String] = []
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "interface" else { continue }
            let name = String(words[1])
            if !seen.contains(name) { seen.append(name) }
        }
        return seen
    }

    /// The names of the `vrrp_instance` blocks, the first definition of each (keepalived ignores a repeat).
    static func instanceNames(in text: String) -> [String] {
        var names: [String] = []
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count >= 2, words[0] == "vrrp_instance", !names.contains(String(words[1])) { names.append(String(words[1])) }
        }
        return names
    }

    /// The state in the last `(NAME) Entering X STATE` line of a log.
    static func lastState(of name: String, in log: String) -> String? {
        let prefix = "(\(name)) Entering "
        guard let line = log.split(separator: "\n").last(where: { $0.contains(prefix) && $0.hasSuffix(" STATE") }),
              let range = line.range(of: prefix) else { return nil }
        return String(line[range.upperBound...].dropLast(" STATE".count))
    }
}

/// A host namespace with the named interfaces, each a veth whose peer is in a wire namespace that captures.
private final class World: Sendable {
    let host: TestNamespace
    let wire: TestNamespace
    let interfaces: [String]

    init(_ label: String, interfaces: [String]) throws {
        host = try TestNamespace(label)
        wire = try TestNamespace("\(label)w")
        self.interfaces = interfaces
        for (i, name) in interfaces.enumerated() {
            let r = try run("/sbin/ip", ["-n", host.name, "link", "add", name, "type", "veth", "peer", "name", "w\(i)",
                                         "netns", wire.name])
            guard r.status == 0 else { throw TestFailure("veth \(name): \(r.stderr)") }
            try Self.check(host.exec("/sbin/ip", ["addr", "add", "192.0.2.\(i + 1)/24", "dev", name]))
            try Self.check(host.exec("/sbin/ip", ["link", "set", name, "up"]))
            try Self.check(wire.exec("/sbin/ip", ["link", "set", "w\(i)", "up"]))
        }
    }

    private static func check(_ r: Run) throws {
        guard r.status == 0 else { throw TestFailure(r.stderr) }
    }

    /// The IPv4 addresses on the interfaces other than the primaries this world gave them, as
    /// `DEVICE ADDRESS/PREFIX LABEL` (lifetimes and the address's index left out).
    func vips() throws -> Set<String> {
        let out = try host.exec("/sbin/ip", ["-o", "-4", "addr", "show"]).stdout
        var found: Set<String> = []
        for line in out.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count > 3, words[2] == "inet", !words[3].hasPrefix("192.0.2."), !words[3].hasPrefix("127.") else { continue }
            let device = words[1]
            // `ip -o` ends the address with its label (the device's name when none was given) and a `\`, then the
            // lifetimes.
            let label = words.first(where: { $0.hasSuffix("\\") && $0 != "\\" }).map { String($0.dropLast()) } ?? "?"
            let scope = words.firstIndex(of: "scope").map { words[$0 + 1] } ?? "?"
            found.insert("\(device) \(words[3]) scope \(scope) label \(label)")
        }
        return found
    }

    /// The distinct VRRP packets seen on the wire for `seconds`: `wN DESTINATION ttl T tos X VRRP-MESSAGE-HEX`.
    func adverts(seconds: Int) throws -> Set<String> {
        let script = """
            import socket, time, sys
            s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
            s.settimeout(0.2)
            end = time.time() + \(seconds)
            seen = set()
            while time.time() < end:
                try:
                    data, addr = s.recvfrom(65535)
                except socket.timeout:
                    continue
                if addr[2] == socket.PACKET_OUTGOING or len(data) < 20 or data[9] != 112:
                    continue
                ihl = (data[0] & 15) * 4
                dst = ".".join(str(b) for b in data[16:20])
                seen.add("%s %s ttl %d tos %d %s" % (addr[0], dst, data[8], data[1], data[ihl:].hex()))
            for line in sorted(seen):
                print(line)
            """
        let r = try wire.exec("/usr/bin/python3", ["-c", script])
        guard r.status == 0 else { throw TestFailure("capture: \(r.stderr)") }
        return Set(r.stdout.split(separator: "\n").map(String.init))
    }
}
