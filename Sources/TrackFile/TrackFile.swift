#if canImport(Glibc)
import Glibc
#endif

/// What a track file holds, as keepalived reads it.
public enum TrackFileNumber: Hashable, Sendable {
    /// A number in range (0 for text that is not a number).
    case number(Int64)
    /// A number outside `INT32_MIN...INT32_MAX + 1`: logged and ignored.
    case outOfRange(Int64)
}

/// keepalived's track files (`track_file`, `vrrp_track_file`) read as keepalived 2.2.7's track_file.c reads them,
/// for both of lvsd's readers: FILE_CHECK (HealthCheck) and VRRP's `track_file` (VRRPRuntime).
public enum TrackFile {
    /// keepalived reads at most 127 bytes of the file.
    public static let maximumReadBytes = 127

    /// keepalived's `process_track_file`: the first 127 bytes, parsed by ``parse(_:)``; a file that cannot be
    /// opened or read, or is empty, is 0. Non-blocking, so a FIFO with no writer cannot hang the reader.
    public static func read(_ path: String) -> TrackFileNumber {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .number(0) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: maximumReadBytes)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maximumReadBytes) }
        guard count > 0 else { return .number(0) }
        return parse(buffer.prefix(count))
    }

    /// The number keepalived's `process_track_file` reads from `bytes` (the first 127 bytes of the file):
    /// `strtol(buf, NULL, 0)`, so leading blanks, a sign, `0x` hexadecimal and `0` octal prefixes; text that is
    /// not a number reads as 0. A number outside `INT32_MIN...INT32_MAX + 1`, which keepalived logs and ignores,
    /// is ``TrackFileNumber/outOfRange(_:)`` (with `strtol`'s value: `LONG_MAX` or `LONG_MIN` beyond 64 bits).
    public static func parse(_ bytes: some Collection<UInt8>) -> TrackFileNumber {
        var i = bytes.startIndex
        func peek(_ offset: Int = 0) -> UInt8? {
            var j = i
            for _ in 0..<offset {
                guard j != bytes.endIndex else { return nil }
                j = bytes.index(after: j)
            }
            return j == bytes.endIndex ? nil : bytes[j]
        }
        while let b = peek(), b == 32 || (9...13).contains(b) { i = bytes.index(after: i) }
        var negative = false
        if let b = peek(), b == 43 || b == 45 {
            negative = b == 45
            i = bytes.index(after: i)
        }
        var base: Int64 = 10
        if peek() == 48 {
            if let x = peek(1), x == 120 || x == 88, let h = peek(2), hexDigit(h) != nil {
                base = 16
                i = bytes.index(i, offsetBy: 2)
            } else {
                base = 8
            }
        }
        var magnitude: Int64 = 0
        var overflow = false
        while let b = peek(), let d = base == 16 ? hexDigit(b) : decimalDigit(b, below: base) {
            if !overflow {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: base)
                let (s, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { overflow = true } else { magnitude = s }
            }
            i = bytes.index(after: i)
        }
        if overflow { return .outOfRange(negative ? Int64.min : Int64.max) }
        let value = negative ? -magnitude : magnitude
        guard value >= Int64(Int32.min), value <= Int64(Int32.max) + 1 else { return .outOfRange(value) }
        return .number(value)
    }

    private static func hexDigit(_ b: UInt8) -> Int64? {
        switch b {
        case 48...57: Int64(b - 48)
        case 97...102: Int64(b - 87)
        case 65...70: Int64(b - 55)
        default: nil
        }
    }

    private static func decimalDigit(_ b: UInt8, below base: Int64) -> Int64? {
        guard (48...57).contains(b), Int64(b - 48) < base else { return nil }
        return Int64(b - 48)
    }
}
