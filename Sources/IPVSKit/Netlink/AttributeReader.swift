/// A bounds-checked view of netlink attributes. Every accessor returns `nil` or throws on short data, so a
/// truncated or malformed reply is an error, never a crash.
struct NetlinkAttributes {
    /// The attributes' bytes.
    private let data: ArraySlice<UInt8>
    /// Payload bounds by type for the types IPVS uses (all below ``slotCount``), as `start, end` pairs; `-1` when
    /// absent. Decoding a large dump reads three nests per entry, so a flat array beats a dictionary here.
    private var slots: [Int]
    /// Payloads of types at or above ``slotCount`` (none in today's IPVS family).
    private var others: [UInt16: Range<Int>] = [:]
    private static let slotCount = 32

    /// Parses the attributes in `data`. Throws if an attribute's length runs past the data or is shorter than its
    /// header. The last occurrence of a type wins, as in `nla_parse`.
    init(_ data: ArraySlice<UInt8>, context: @autoclosure () -> String) throws(IPVSError) {
        self.data = data
        slots = [Int](repeating: -1, count: 2 * Self.slotCount)
        var offset = data.startIndex
        while offset < data.endIndex {
            guard data.endIndex - offset >= 4 else {
                throw .malformedReply("\(context()): \(data.endIndex - offset) stray bytes after the last attribute")
            }
            let length = Int(UInt16(data[offset]) | UInt16(data[offset + 1]) << 8)
            let type = (UInt16(data[offset + 2]) | UInt16(data[offset + 3]) << 8) & 0x3FFF  // drop NESTED/BYTEORDER
            guard length >= 4, offset + length <= data.endIndex else {
                throw .malformedReply("\(context()): attribute \(type) has length \(length) but \(data.endIndex - offset) bytes remain")
            }
            if Int(type) < Self.slotCount {
                slots[2 * Int(type)] = offset + 4
                slots[2 * Int(type) + 1] = offset + length
            } else {
                others[type] = (offset + 4)..<(offset + length)
            }
            offset += (length + 3) & ~3
        }
    }

    private func payload(_ type: UInt16) -> ArraySlice<UInt8>? {
        if Int(type) < Self.slotCount {
            let start = slots[2 * Int(type)]
            return start < 0 ? nil : data[start..<slots[2 * Int(type) + 1]]
        }
        return others[type].map { data[$0] }
    }

    func has(_ type: UInt16) -> Bool { payload(type) != nil }

    func raw(_ type: UInt16) -> ArraySlice<UInt8>? { payload(type) }

    func nested(_ type: UInt16, context: @autoclosure () -> String) throws(IPVSError) -> NetlinkAttributes? {
        guard let p = payload(type) else { return nil }
        return try NetlinkAttributes(p, context: context())
    }

    private func integer<T: FixedWidthInteger>(_ type: UInt16, as: T.Type, bigEndian: Bool, context: String) throws(IPVSError) -> T? {
        guard let p = payload(type) else { return nil }
        let size = MemoryLayout<T>.size
        guard p.count >= size else {
            throw .malformedReply("\(context): attribute \(type) has \(p.count) bytes, expected \(size)")
        }
        var v: T = 0
        for i in 0..<size {
            let byte = T(p[p.startIndex + i])
            v |= bigEndian ? byte << (8 * (size - 1 - i)) : byte << (8 * i)
        }
        return v
    }

    func u8(_ t: UInt16, _ c: String) throws(IPVSError) -> UInt8? { try integer(t, as: UInt8.self, bigEndian: false, context: c) }
    func u16(_ t: UInt16, _ c: String) throws(IPVSError) -> UInt16? { try integer(t, as: UInt16.self, bigEndian: false, context: c) }
    func be16(_ t: UInt16, _ c: String) throws(IPVSError) -> UInt16? { try integer(t, as: UInt16.self, bigEndian: true, context: c) }
    func u32(_ t: UInt16, _ c: String) throws(IPVSError) -> UInt32? { try integer(t, as: UInt32.self, bigEndian: false, context: c) }
    func u64(_ t: UInt16, _ c: String) throws(IPVSError) -> UInt64? { try integer(t, as: UInt64.self, bigEndian: false, context: c) }

    /// A NUL-terminated (or unterminated) UTF-8 string.
    func string(_ type: UInt16) -> String? {
        guard let p = payload(type) else { return nil }
        return String(decoding: p.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Fetches a required attribute or throws naming it.
    static func require<T>(_ value: T?, _ name: String, _ context: String) throws(IPVSError) -> T {
        guard let value else { throw .malformedReply("\(context): missing \(name)") }
        return value
    }
}

/// One netlink message split out of a receive buffer.
struct NetlinkMessage {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var port: UInt32
    /// The payload after the 16-byte header.
    var payload: ArraySlice<UInt8>

    static let headerSize = 16

    /// Splits a datagram into messages; throws on a length that runs past the data.
    static func split(_ data: ArraySlice<UInt8>) throws(IPVSError) -> [NetlinkMessage] {
        var out: [NetlinkMessage] = []
        var offset = data.startIndex
        while data.endIndex - offset >= headerSize {
            let len = Int(readU32(data, offset))
            guard len >= headerSize, offset + len <= data.endIndex else {
                throw .malformedReply("message length \(len) with \(data.endIndex - offset) bytes received")
            }
            out.append(NetlinkMessage(
                type: UInt16(truncatingIfNeeded: readU32(data, offset + 4)),
                flags: UInt16(truncatingIfNeeded: readU32(data, offset + 4) >> 16),
                sequence: readU32(data, offset + 8),
                port: readU32(data, offset + 12),
                payload: data[(offset + headerSize)..<(offset + len)]))
            offset += (len + 3) & ~3
        }
        if offset < data.endIndex, data.endIndex - offset < headerSize, out.isEmpty {
            throw .malformedReply("datagram of \(data.count) bytes is shorter than a netlink header")
        }
        return out
    }

    static func readU32(_ d: ArraySlice<UInt8>, _ o: Int) -> UInt32 {
        UInt32(d[o]) | UInt32(d[o + 1]) << 8 | UInt32(d[o + 2]) << 16 | UInt32(d[o + 3]) << 24
    }
}
