/// A `FILE_CHECK`: the number in a `track_file` changes the real server's weight, as keepalived 2.2's
/// track_file.c and check_file.c do.
///
/// The file's number times ``weight`` (negated with ``reverse``), clamped to 32 bits, is added to the real
/// server's configured weight; a product of `INT32_MIN` or less is a failure (keepalived's `IPVS_WEIGHT_FAULT`),
/// and with weight 0 any non-zero number is (with `reverse`, zero is). A missing, empty or unreadable file, or one
/// that does not start with a number, reads as 0; a number beyond 32 bits is logged and ignored.
///
/// keepalived watches the file with inotify; lvsd reads it every ``pollInterval`` (at most ``maximumReadBytes``
/// bytes, within ``readTimeout``).
public struct FileCheck: Hashable, Sendable {
    /// How often the file is read.
    public static let pollInterval: Duration = .seconds(1)
    /// keepalived reads at most 127 bytes of the file.
    public static let maximumReadBytes = 127
    /// A read that takes longer is abandoned, and the value left as it was.
    public static let readTimeout: Duration = .seconds(5)
    /// keepalived's `IPVS_WEIGHT_FAULT`.
    public static let fault = Int64(Int32.min)

    /// The `track_file` name (in log lines).
    public var name: String
    /// The file.
    public var path: String
    /// The multiplier (the FILE_CHECK's `weight`, else the track_file's, default 1).
    public var weight: Int
    /// `reverse`.
    public var reverse: Bool
    /// The real server's configured weight, to which the product is added.
    public var baseWeight: Int64
    /// `init_file`'s value, if the track_file has `init_file`.
    public var initValue: Int?
    /// `init_file ... overwrite`.
    public var initOverwrite: Bool

    /// Creates a file check.
    public init(name: String, path: String, weight: Int = 1, reverse: Bool = false, baseWeight: Int64 = 1,
                initValue: Int? = nil, initOverwrite: Bool = false) {
        self.name = name
        self.path = path
        self.weight = weight
        self.reverse = reverse
        self.baseWeight = baseWeight
        self.initValue = initValue
        self.initOverwrite = initOverwrite
    }

    /// The file's contribution for `value`, as keepalived's `update_track_file_status` computes it: with weight 0,
    /// ``fault`` or 0; otherwise value × weight (× −1 with `reverse`) clamped to 32 bits, ``fault`` meaning down.
    public func status(of value: Int64) -> Int64 {
        if weight == 0 { return ((value != 0) != reverse) ? Self.fault : 0 }
        // |value| <= 2^31 and |weight| < 2^31: the product fits in 64 bits.
        let product = value * Int64(weight) * (reverse ? -1 : 1)
        return min(max(product, Self.fault), Int64(Int32.max))
    }

    /// Whether keepalived starts the checker down for the value read at start-up (`init_service_rs`): with a
    /// weight, a product of ``fault`` or less; with weight 0, any non-zero value (keepalived ignores `reverse`
    /// here).
    public func startsDown(with value: Int64) -> Bool {
        weight == 0 ? value != 0 : status(of: value) <= Self.fault
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

/// What a track file holds, as keepalived reads it.
public enum TrackFileNumber: Hashable, Sendable {
    /// A number in range (0 for text that is not a number).
    case number(Int64)
    /// A number outside `INT32_MIN...INT32_MAX + 1`: logged and ignored.
    case outOfRange(Int64)
}
