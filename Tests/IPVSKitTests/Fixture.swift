import Foundation
@testable import IPVSKit

/// A capture of what ipvsadm sent and what the kernel answered, made by scripts/capture-golden.py in the test VM.
struct Fixture {
    var requests: [[UInt8]] = []
    var replies: [[UInt8]] = []

    init(_ name: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let text = try String(contentsOf: dir.appendingPathComponent(name + ".hex"), encoding: .utf8)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let bytes = Fixture.hex(parts[1]) else { continue }
            if parts[0] == ">" { requests.append(bytes) } else { replies.append(bytes) }
        }
    }

    static func hex(_ s: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let hi = nibble(a), let lo = nibble(b) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// The IPVS family id in this capture (the type of ipvsadm's requests to the IPVS family).
    var familyID: UInt16? {
        // GET_INFO (cmd 15) is ipvsadm's first IPVS request; its type is the family id.
        requests.first { $0.count > 16 && $0[16] == 15 }.map { UInt16($0[4]) | UInt16($0[5]) << 8 }
    }

    /// The request ipvsadm sent with generic-netlink command `cmd`.
    func request(command cmd: UInt8) -> [UInt8]? {
        guard let fam = familyID else { return nil }
        return requests.first { $0.count > 16 && (UInt16($0[4]) | UInt16($0[5]) << 8) == fam && $0[16] == cmd }
    }

    /// The kernel's IPVS-family replies (dump items and doit answers), split into messages.
    func familyReplies() throws -> [NetlinkMessage] {
        guard let fam = familyID else { return [] }
        return try replies.flatMap { try NetlinkMessage.split($0[...]) }.filter { $0.type == fam }
    }
}

/// The attribute payload of one nest in a request's attributes (after the 20-byte nlmsghdr + genlmsghdr).
func nest(_ type: UInt16, in message: [UInt8]) -> [UInt8]? {
    var off = 20
    while off + 4 <= message.count {
        let len = Int(UInt16(message[off]) | UInt16(message[off + 1]) << 8)
        let t = (UInt16(message[off + 2]) | UInt16(message[off + 3]) << 8) & 0x7FFF
        guard len >= 4, off + len <= message.count else { return nil }
        if t == type { return Array(message[off..<(off + len)]) }
        off += (len + 3) & ~3
    }
    return nil
}

/// Encodes one operation as IPVSKit would send it.
func encode(_ op: IPVSOperation, family: UInt16) -> [UInt8] {
    var w = NetlinkWriter()
    op.encode(into: &w, family: family, sequence: 1, port: 0)
    return w.bytes
}
