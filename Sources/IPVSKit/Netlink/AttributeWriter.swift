/// Builds netlink messages and their attributes in host byte order, 4-byte aligned, as the kernel expects.
///
/// `nla_len` and `nlmsg_len` include their own headers but not the trailing padding, so lengths are reserved and
/// patched when a nest or message closes.
struct NetlinkWriter {
    /// Zero-filled beyond `count`: growing is moving `count`, and padding is already there.
    private var buffer: [UInt8]
    private var count = 0

    /// The messages written so far.
    var bytes: [UInt8] { Array(buffer[0..<count]) }

    init(capacity: Int = 256) { buffer = [UInt8](repeating: 0, count: max(capacity, 64)) }

    // MARK: raw integers

    // Each write grows the buffer once and stores in place: a batch is hundreds of thousands of integers, and
    // appending byte by byte cost ten times as much.

    /// Grows the written part by `size` zero bytes; returns the offset of the first.
    @inline(__always)
    private mutating func grow(_ size: Int) -> Int {
        let offset = count
        count += size
        if count > buffer.count { buffer.append(contentsOf: repeatElement(0, count: max(count, buffer.count))) }
        return offset
    }

    @inline(__always)
    private mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: T.self) }
    }

    mutating func appendHost<T: FixedWidthInteger>(_ value: T) {
        store(value.littleEndian, at: grow(MemoryLayout<T>.size))
    }

    mutating func appendBig<T: FixedWidthInteger>(_ value: T) {
        store(value.bigEndian, at: grow(MemoryLayout<T>.size))
    }

    /// An attribute header (`nla_len`, `nla_type`) and a fixed-size payload, padded to 4 bytes, in one write.
    @inline(__always)
    private mutating func fixed<T: FixedWidthInteger>(_ type: UInt16, _ payload: T) {
        let size = MemoryLayout<T>.size
        let offset = grow((4 + size + 3) & ~3)
        buffer.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt16(4 + size).littleEndian, toByteOffset: offset, as: UInt16.self)
            $0.storeBytes(of: type.littleEndian, toByteOffset: offset + 2, as: UInt16.self)
            $0.storeBytes(of: payload, toByteOffset: offset + 4, as: T.self)
        }
    }

    /// A 16-byte address attribute (`union nf_inet_addr`): `first` and `second` are stored as they are, so the
    /// caller passes them in network order (an IPv4 address in `first`'s low four bytes, the rest zero).
    mutating func fixedAddress<T: FixedWidthInteger>(_ type: UInt16, _ first: T, _ second: UInt64) {
        let offset = grow(20)
        buffer.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt16(20).littleEndian, toByteOffset: offset, as: UInt16.self)
            $0.storeBytes(of: type.littleEndian, toByteOffset: offset + 2, as: UInt16.self)
            $0.storeBytes(of: first, toByteOffset: offset + 4, as: T.self)
            if T.bitWidth == 64 { $0.storeBytes(of: second, toByteOffset: offset + 12, as: UInt64.self) }
        }
    }

    private mutating func pad() {
        _ = grow((4 - count % 4) % 4)
    }

    private mutating func patchU16(_ value: UInt16, at offset: Int) {
        store(value.littleEndian, at: offset)
    }

    private mutating func patchU32(_ value: UInt32, at offset: Int) {
        store(value.littleEndian, at: offset)
    }

    // MARK: messages

    /// Starts a generic-netlink message; returns the offset to pass to ``endMessage(_:)``.
    mutating func beginMessage(type: UInt16, flags: UInt16, sequence: UInt32, port: UInt32, command: UInt8, version: UInt8 = 1) -> Int {
        let start = count
        appendHost(UInt32(0))
        appendHost(type)
        appendHost(flags)
        appendHost(sequence)
        appendHost(port)
        appendHost(command)
        appendHost(version)
        appendHost(UInt16(0))
        return start
    }

    mutating func endMessage(_ start: Int) {
        patchU32(UInt32(count - start), at: start)
        pad()
    }

    // MARK: attributes

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        appendHost(UInt16(4 + payload.count))
        appendHost(type)
        let offset = grow(payload.count)
        buffer.withUnsafeMutableBufferPointer { out in
            for (i, byte) in payload.enumerated() { out[offset + i] = byte }
        }
        pad()
    }

    mutating func u8(_ type: UInt16, _ value: UInt8) {
        fixed(type, value)
    }

    mutating func u16(_ type: UInt16, _ value: UInt16) {
        fixed(type, value.littleEndian)
    }

    /// A big-endian 16-bit value (ports).
    mutating func be16(_ type: UInt16, _ value: UInt16) {
        fixed(type, value.bigEndian)
    }

    mutating func u32(_ type: UInt16, _ value: UInt32) {
        fixed(type, value.littleEndian)
    }

    /// A NUL-terminated string.
    mutating func string(_ type: UInt16, _ value: String) {
        attribute(type, Array(value.utf8) + [0])
    }

    /// Opens a nested attribute; close it with ``endNest(_:)``. Sets `NLA_F_NESTED` as libnl (and so ipvsadm)
    /// does; the kernel accepts nests with or without it.
    mutating func beginNest(_ type: UInt16) -> Int {
        let start = count
        appendHost(UInt16(0))
        appendHost(type | 0x8000)
        return start
    }

    mutating func endNest(_ start: Int) {
        patchU16(UInt16(count - start), at: start)
    }
}
