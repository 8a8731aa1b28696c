import IPVSKit

/// C number parsing as ipvsadm uses it (`strtol`, `atoi`), so that the same strings are accepted and refused.
enum CNumber {
    /// `strtol(s, &end, 10)`: leading white space and a sign allowed; `nil` when no digits were read or the whole
    /// string was not consumed (ipvsadm checks `*end == '\0'`); `overflow` when the value does not fit a `long`.
    static func strtol<S: StringProtocol>(_ s: S) -> (value: Int64, overflow: Bool)? {
        var bytes = s.utf8[...]
        while let b = bytes.first, isCSpace(b) { bytes = bytes.dropFirst() }
        var negative = false
        if let b = bytes.first, b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
            negative = b == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        guard let first = bytes.first, isDigit(first) else { return nil }
        var magnitude: UInt64 = 0
        var overflow = false
        for b in bytes {
            guard isDigit(b) else { return nil }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            if o1 || o2 || a > UInt64(Int64.max) + 1 { overflow = true; magnitude = UInt64(Int64.max) + 1 } else { magnitude = a }
        }
        if !negative && magnitude > UInt64(Int64.max) { return (Int64.max, true) }
        let value = negative ? (magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)) : Int64(magnitude)
        return (value, overflow)
    }

    /// ipvsadm's `string_to_number`: the value when the whole string is a decimal number in `min...max`.
    static func number<S: StringProtocol>(_ s: S, _ min: Int64, _ max: Int64) -> Int64? {
        guard let (v, overflow) = strtol(s), !overflow, min <= v, v <= max else { return nil }
        return v
    }

    /// `atoi`: leading digits after optional white space and sign; 0 when there are none.
    static func atoi(_ s: String) -> Int64 {
        var bytes = Substring(s).utf8[...]
        while let b = bytes.first, isCSpace(b) { bytes = bytes.dropFirst() }
        var negative = false
        if let b = bytes.first, b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
            negative = b == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var v: Int64 = 0
        for b in bytes {
            guard isDigit(b) else { break }
            v = v &* 10 &+ Int64(b - UInt8(ascii: "0"))
        }
        return Int64(Int32(truncatingIfNeeded: negative ? -v : v))
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func isCSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0d) }

    /// ipvsadm's `str_is_digit`: true for the empty string and for all-digit strings.
    static func isAllDigits(_ s: String) -> Bool { s.utf8.allSatisfy(isDigit) }

    /// A strict dotted quad (`10.0.0.1`: four decimal parts of 0...255, no leading zeros), which `inet_aton` reads
    /// the same way; `nil` for every other form, which then goes to `inet_aton` itself (octal, hex, fewer parts).
    /// Restoring a large table reads two addresses per line, and this skips the C string round trip for them.
    static func dottedQuad(_ s: String) -> UInt32? {
        IPAddress.dottedQuad(s.utf8)
    }
}
