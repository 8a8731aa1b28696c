#if canImport(Glibc)
import Glibc
#endif

/// A track file's content read as keepalived 2.2.7 reads it: C's `strtol(text, NULL, 0)` (leading white space,
/// a sign, decimal, `0x` hexadecimal or `0` octal; whatever follows the number ignored; no number at all is 0),
/// accepted from INT32_MIN to INT32_MAX + 1.
public enum TrackFileValue: Equatable, Sendable {
    /// The value to use.
    case number(Int)
    /// A number outside keepalived's range (as text, for the log line); keepalived ignores it and keeps the value
    /// it had.
    case outOfRange(String)

    /// Parses the first bytes of a track file (keepalived reads at most 127). A NUL ends the text.
    public static func parse(_ bytes: [UInt8]) -> TrackFileValue {
        var text = Array(bytes.prefix { $0 != 0 }.map { CChar(bitPattern: $0) })
        text.append(0)
        errno = 0
        let value = strtol(text, nil, 0)
        let failed = errno != 0
        if failed || value < Int(Int32.min) || value > Int(Int32.max) + 1 {
            return .outOfRange(String(value))
        }
        return .number(value)
    }
}
