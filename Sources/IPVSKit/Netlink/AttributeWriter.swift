/// Builds netlink messages and their attributes in host byte order, 4-byte aligned, as the kernel expects.
///
/// `nla_len` and `nlmsg_len` include their own headers but not the trailing padding, so lengths are reserved and
/// patched when a nest or message closes.
struct NetlinkWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    // MARK: raw integers

    // Byte by byte: appending a raw buffer is a generic call per integer, and a batch is hundreds of thousands.
    mutating func appendHost<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: 0, to: T.bitWidth, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func appendBig<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private mutating func patchU16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    private mutating func patchU32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    // MARK: messages

    /// Starts a generic-netlink message; returns the offset to pass to ``endMessage(_:)``.
    mutating func beginMessage(type: UInt16, flags: UInt16, sequence: UInt32, port: UInt32, command: UInt8, version: UInt8 = 1) -> Int {
        let start = bytes.count
        appendHost(UInt32(0))
        appendHost(type)
        appendHost(flags)
        appendHost(sequence)
        appendHost(port)
        bytes.append(command)
        bytes.append(version)
        appendHost(UInt16(0))
        return start
    }

    mutating func endMessage(_ start: Int) {
        patchU32(UInt32(bytes.count - start), at: start)
        pad()
    }

    // MARK: attributes

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        appendHost(UInt16(4 + payload.count))
        appendHost(type)
        bytes.append(contentsOf: payload)
        pad()
    }

    mutating func u8(_ type: UInt16, _ value: UInt8) {
        appendHost(UInt16(5))
        appendHost(type)
        bytes.append(value)
        pad()
    }

    mutating func u16(_ type: UInt16, _ value: UInt16) {
        appendHost(UInt16(6))
        appendHost(type)
        appendHost(value)
        pad()
    }

    /// A big-endian 16-bit value (ports).
    mutating func be16(_ type: UInt16, _ value: UInt16) {
        appendHost(UInt16(6))
        appendHost(type)
        appendBig(value)
        pad()
    }

    mutating func u32(_ type: UInt16, _ value: UInt32) {
        appendHost(UInt16(8))
        appendHost(type)
        appendHost(value)
    }

    /// A NUL-terminated string.
    mutating func string(_ type: UInt16, _ value: String) {
        attribute(type, Array(value.utf8) + [0])
    }

    /// Opens a nested attribute; close it with ``endNest(_:)``. Sets `NLA_F_NESTED` as libnl (and so ipvsadm)
    /// does; the kernel accepts nests with or without it.
    mutating func beginNest(_ type: UInt16) -> Int {
        let start = bytes.count
        appendHost(UInt16(0))
        appendHost(type | 0x8000)
        return start
    }

    mutating func endNest(_ start: Int) {
        patchU16(UInt16(bytes.count - start), at: start)
    }
}
