import IPVSKit

/// Reads `/proc/net/ip_vs`, which carries every destination's address, port, forwarding method, weight and
/// connection counts in one read. The netlink alternative needs one destination dump per service, each behind the
/// kernel's IPVS mutex, so the default listing of a large table is several times faster this way.
///
/// The file lacks what only netlink has (firewall-mark families, scheduler flags, persistence engines, thresholds,
/// tunnels, counters), so it is only used to fill in destinations of services read over netlink.
public enum ProcIPVS {
    /// A service as the file identifies it: firewall-mark lines do not say the family.
    public enum Key: Hashable, Sendable {
        case address(UInt16, IPAddress, UInt16)
        case firewallMark(UInt32)

        /// The file's key for a netlink service key.
        public init(_ k: ServiceKey) {
            switch k {
            case .address(let p, let a, let port): self = .address(p.rawValue, a, port)
            case .firewallMark(let m, _): self = .firewallMark(m)
            }
        }
    }

    /// Destinations per service; a key seen twice (an IPv4 and an IPv6 mark service with the same mark) is
    /// dropped, so the caller falls back to netlink for it.
    public static func parse(_ text: String) -> [Key: [Destination]] {
        parse(bytes: Array(text.utf8))
    }

    /// ``parse(_:)`` on the file's bytes as read. It scans bytes, not `String`s: a table of thousands of services is
    /// tens of thousands of fields, and this is on the path of every default listing.
    public static func parse(bytes: [UInt8]) -> [Key: [Destination]] {
        var result: [Key: [Destination]] = [:]
        var duplicates = Set<Key>()
        var current: Key?
        var dests: [Destination] = []
        func finish() {
            guard let k = current else { return }
            if result[k] != nil { duplicates.insert(k) }
            result[k] = dests
        }
        bytes.withUnsafeBufferPointer { buffer in
            var fields: [Range<Int>] = []
            fields.reserveCapacity(8)
            var lineStart = 0
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count, buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                fields.removeAll(keepingCapacity: true)
                var i = lineStart
                while i < lineEnd {
                    while i < lineEnd, buffer[i] == UInt8(ascii: " ") { i += 1 }
                    let fieldStart = i
                    while i < lineEnd, buffer[i] != UInt8(ascii: " ") { i += 1 }
                    if i > fieldStart { fields.append(fieldStart..<i) }
                }
                guard fields.count >= 2 else { continue }
                let f = { (n: Int) in UnsafeBufferPointer(rebasing: buffer[fields[n]]) }
                if equals(f(0), "->") {
                    guard current != nil, fields.count >= 6, let (addr, port) = addressPort(f(1)),
                          let weight = decimal(f(3)), let active = decimal(f(4)), let inactive = decimal(f(5))
                    else { continue }
                    let method = f(2)
                    let fwd: ForwardingMethod = equals(method, "Local") ? .local
                        : equals(method, "Tunnel") ? .tunnel : equals(method, "Route") ? .route : .masquerade
                    dests.append(Destination(address: addr, port: port, forwarding: fwd, weight: weight,
                                             activeConnections: UInt32(bitPattern: active),
                                             inactiveConnections: UInt32(bitPattern: inactive)))
                    continue
                }
                let head = f(0)
                let proto: UInt16
                if equals(head, "TCP") { proto = 6 }
                else if equals(head, "UDP") { proto = 17 }
                else if equals(head, "SCTP") { proto = 132 }
                else if equals(head, "FWM") { proto = 0 }
                else { continue }
                finish()
                dests = []
                if proto == 0 {
                    current = hexadecimal(f(1), limit: UInt64(UInt32.max)).map { .firewallMark(UInt32($0)) }
                } else {
                    current = addressPort(f(1)).map { .address(proto, $0.0, $0.1) }
                }
            }
        }
        finish()
        for d in duplicates { result[d] = nil }
        return result
    }

    private static func equals(_ field: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        field.count == word.utf8CodeUnitCount
            && field.elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
    }

    /// A hexadecimal number of at most 16 digits and at most `limit`, as `UInt64(_:radix: 16)` reads it.
    private static func hexadecimal(_ field: UnsafeBufferPointer<UInt8>, limit: UInt64) -> UInt64? {
        guard !field.isEmpty, field.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in field {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value <= limit ? value : nil
    }

    /// A decimal `Int32`, with an optional leading `-`, as `Int32(_:)` reads it.
    private static func decimal(_ field: UnsafeBufferPointer<UInt8>) -> Int32? {
        var digits = field[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 11 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        if negative { value = -value }
        return Int32(exactly: value)
    }

    /// `0A000001:0050` or `[2001:0db8:...:0001]:0050`.
    private static func addressPort(_ field: UnsafeBufferPointer<UInt8>) -> (IPAddress, UInt16)? {
        guard let colon = field.lastIndex(of: UInt8(ascii: ":")),
              let port = hexadecimal(UnsafeBufferPointer(rebasing: field[(colon + 1)...]), limit: UInt64(UInt16.max))
        else { return nil }
        let address = UnsafeBufferPointer(rebasing: field[..<colon])
        if address.first == UInt8(ascii: "[") {
            guard address.count >= 2, address.last == UInt8(ascii: "]"),
                  let v6 = CommandLineParser.ipv6(String(decoding: address.dropFirst().dropLast(), as: UTF8.self))
            else { return nil }
            return (v6, UInt16(port))
        }
        guard let v = hexadecimal(address, limit: UInt64(UInt32.max)) else { return nil }
        return (.v4(UInt32(v)), UInt16(port))
    }
}
