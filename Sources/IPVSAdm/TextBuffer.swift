/// The bytes of a listing as it is built: `printf`-style padding and cutting done in place, numbers and IPv4
/// addresses written as digits directly. A large table's listing is tens of thousands of lines, and building each
/// from `String` pieces cost more than reading the table from the kernel.
struct TextBuffer {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    /// The text as a `String` (the bytes are UTF-8).
    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ other: TextBuffer) {
        bytes.append(contentsOf: other.bytes)
    }

    /// `%d` / `%u`.
    mutating func appendDecimal<T: FixedWidthInteger>(_ value: T) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(UInt64(value.magnitude))
    }

    private mutating func appendDigits(_ value: UInt64) {
        let zero = UInt8(ascii: "0")
        if value < 10 {
            bytes.append(zero + UInt8(value))
        } else if value < 100 {
            bytes.append(zero + UInt8(value / 10))
            bytes.append(zero + UInt8(value % 10))
        } else if value < 1000 {
            bytes.append(zero + UInt8(value / 100))
            bytes.append(zero + UInt8(value / 10 % 10))
            bytes.append(zero + UInt8(value % 10))
        } else {
            var count = 0
            var rest = value
            while rest > 0 { count += 1; rest /= 10 }
            let end = bytes.count + count
            bytes.append(contentsOf: repeatElement(zero, count: count))
            rest = value
            for index in stride(from: end - 1, through: end - count, by: -1) {
                bytes[index] = zero + UInt8(rest % 10)
                rest /= 10
            }
        }
    }

    /// An IPv4 address, host order, as `inet_ntoa` writes it.
    mutating func appendIPv4(_ address: UInt32) {
        appendDecimal(address >> 24)
        bytes.append(UInt8(ascii: "."))
        appendDecimal((address >> 16) & 0xff)
        bytes.append(UInt8(ascii: "."))
        appendDecimal((address >> 8) & 0xff)
        bytes.append(UInt8(ascii: "."))
        appendDecimal(address & 0xff)
    }

    /// Pads what was written since `start` with spaces to `width` bytes (`%-Ns`).
    mutating func pad(from start: Int, to width: Int) {
        let written = bytes.count - start
        if written < width { bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: width - written)) }
    }

    /// Cuts what was written since `start` at `length` bytes (ipvsadm's `buf[n] = '\0'`).
    mutating func cut(from start: Int, at length: Int) {
        if bytes.count - start > length { bytes.removeLast(bytes.count - start - length) }
    }

    /// `%-Ns` of a string.
    mutating func appendLeft(_ text: String, _ width: Int) {
        let start = bytes.count
        append(text)
        pad(from: start, to: width)
    }

    /// `%-Nd` / `%-Nu` of an integer.
    mutating func appendLeftDecimal<T: FixedWidthInteger>(_ value: T, _ width: Int) {
        let start = bytes.count
        appendDecimal(value)
        pad(from: start, to: width)
    }
}
