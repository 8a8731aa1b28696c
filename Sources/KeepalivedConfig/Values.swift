import IPVSKit

/// Parsers for the value syntaxes of keepalived.conf. Each returns `nil` for text that is not valid.
public enum ConfigValue {
    /// keepalived's BOOL: `on|off|true|false|yes|no`.
    public static func bool(_ text: String) -> Bool? {
        switch text {
        case "on", "true", "yes": true
        case "off", "false", "no": false
        default: nil
        }
    }

    /// An unsigned decimal integer within `range`.
    public static func unsigned(_ text: String, in range: ClosedRange<UInt64>) -> UInt64? {
        guard let value = decimal(text.utf8, maximumDigits: 20), range.contains(value) else { return nil }
        return value
    }

    /// ASCII decimal digits only (no sign, no blanks), at most `maximumDigits` of them, without overflow.
    static func decimal<Digits: Collection<UInt8>>(_ digits: Digits, maximumDigits: Int) -> UInt64? {
        guard !digits.isEmpty, digits.count <= maximumDigits else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return value
    }

    /// A port, 0...65535.
    public static func port(_ text: String) -> UInt16? {
        unsigned(text, in: 0...65535).map { UInt16($0) }
    }

    /// keepalived's TIMER: decimal seconds with at most 6 fractional digits (`1`, `0.5`, `2.000001`), at most
    /// `UInt32.max` seconds.
    public static func timer(_ text: String) -> ConfigDuration? {
        let bytes = text.utf8
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let wholeDigits = bytes[..<(dot ?? bytes.endIndex)]
        guard !wholeDigits.isEmpty || dot != nil else { return nil }
        var whole: UInt64 = 0
        if !wholeDigits.isEmpty {
            guard let w = decimal(wholeDigits, maximumDigits: 20), w <= UInt64(UInt32.max) else { return nil }
            whole = w
        }
        var micros: UInt64 = 0
        if let dot {
            let fraction = bytes[bytes.index(after: dot)...]
            guard let f = decimal(fraction, maximumDigits: 6) else { return nil }
            micros = f
            for _ in fraction.count..<6 { micros *= 10 }
        }
        return .seconds(Int64(whole)) + .microseconds(Int64(micros))
    }

    /// An IPv4 or IPv6 address (no host names).
    public static func address(_ text: String) -> IPAddress? { IPAddress(text) }

    /// `persistence_granularity`: an IPv4 netmask in dotted form (contiguous), or a prefix length (0...32 for
    /// IPv4, 1...128 for IPv6). Returns the prefix length.
    public static func granularityPrefix(_ text: String, family: AddressFamily) -> UInt32? {
        if let prefix = unsigned(text, in: 0...128) {
            switch family {
            case .inet: return prefix <= 32 ? UInt32(prefix) : nil
            case .inet6: return prefix >= 1 ? UInt32(prefix) : nil
            }
        }
        guard family == .inet, case .v4(let mask)? = IPAddress(text) else { return nil }
        // The mask must be contiguous ones followed by zeros.
        let inverted = ~mask
        guard inverted & (inverted &+ 1) == 0 else { return nil }
        return UInt32(mask.nonzeroBitCount)
    }

    /// keepalived's hex string (`payload`, `require_reply`): pairs of hex digits, blanks between bytes allowed; a
    /// lone digit before a blank or the end is one byte (`1 2` is 01 02). With `wildcards`, `x`/`X` is a wildcard
    /// nibble (its bits set in the mask). nil for any other character or an empty string.
    public static func hexBytes(_ text: String, wildcards: Bool) -> (bytes: [UInt8], mask: [UInt8])? {
        func nibble(_ c: UInt8) -> (value: UInt8, wild: Bool)? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): (c - UInt8(ascii: "0"), false)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): (c - UInt8(ascii: "a") + 10, false)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): (c - UInt8(ascii: "A") + 10, false)
            case UInt8(ascii: "x") where wildcards, UInt8(ascii: "X") where wildcards: (0, true)
            default: nil
            }
        }
        let chars = Array(text.utf8)
        var bytes: [UInt8] = [], mask: [UInt8] = []
        var i = 0
        while i < chars.count {
            if chars[i] == UInt8(ascii: " ") || chars[i] == UInt8(ascii: "\t") {
                i += 1
                continue
            }
            guard let high = nibble(chars[i]) else { return nil }
            i += 1
            var value = high.value, bits: UInt8 = high.wild ? 0x0F : 0
            if i < chars.count, chars[i] != UInt8(ascii: " "), chars[i] != UInt8(ascii: "\t") {
                guard let low = nibble(chars[i]) else { return nil }
                i += 1
                value = value << 4 | low.value
                bits = bits << 4 | (low.wild ? 0x0F : 0)
            }
            bytes.append(value)
            mask.append(bits)
        }
        guard !bytes.isEmpty else { return nil }
        return (bytes, mask.contains { $0 != 0 } ? mask : [])
    }

    /// A DNS_CHECK `name`: `.` (the root) or dot-separated labels of 1 to 63 bytes with an optional trailing dot,
    /// at most 253 bytes. nil with the reason otherwise.
    public static func dnsNameProblem(_ name: String) -> String? {
        if name == "." { return nil }
        let body = name.hasSuffix(".") ? String(name.dropLast()) : name
        if body.isEmpty { return "the name is empty" }
        if body.utf8.count > 253 { return "the name is longer than 253 bytes" }
        for label in body.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { return "the name has an empty label" }
            if label.utf8.count > 63 { return "the label '\(label)' is longer than 63 bytes" }
        }
        return nil
    }

    /// A 32-hex-digit MD5 digest, lower-cased.
    public static func digest(_ text: String) -> String? {
        guard text.count == 32, text.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
        return text.lowercased()
    }

    /// A status-code item: `N` or `N-M` with 100 ≤ N ≤ M ≤ 599.
    public static func statusCodes(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = unsigned(String(parts[0]), in: 100...599) else { return nil }
        if parts.count == 1 { return Int(low)...Int(low) }
        guard let high = unsigned(String(parts[1]), in: 100...599), high >= low else { return nil }
        return Int(low)...Int(high)
    }
}

extension Parser {
    /// An unsigned argument within `range`, or an error naming keyword and value.
    mutating func unsigned(_ node: ConfigNode, in range: ClosedRange<UInt64>) -> UInt64? {
        guard let token = argument(node) else { return nil }
        return unsigned(node, token, in: range)
    }

    mutating func unsigned(_ node: ConfigNode, _ token: Token, in range: ClosedRange<UInt64>) -> UInt64? {
        if let value = ConfigValue.unsigned(token.text, in: range) { return value }
        invalid(node, token, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
        return nil
    }

    mutating func timer(_ node: ConfigNode) -> ConfigDuration? {
        guard let token = argument(node) else { return nil }
        if let value = ConfigValue.timer(token.text) { return value }
        invalid(node, token, "expected seconds (up to 6 decimal places)")
        return nil
    }

    /// A TIMER that must be above zero (`delay_loop`, `connect_timeout`).
    mutating func positiveTimer(_ node: ConfigNode) -> ConfigDuration? {
        guard let token = argument(node) else { return nil }
        guard let value = ConfigValue.timer(token.text) else {
            invalid(node, token, "expected seconds (up to 6 decimal places)")
            return nil
        }
        guard value > .zero else {
            invalid(node, token, "must be above 0")
            return nil
        }
        return value
    }

    mutating func port(_ node: ConfigNode, _ token: Token) -> UInt16? {
        if let value = ConfigValue.port(token.text) { return value }
        invalid(node, token, "expected a port from 0 to 65535")
        return nil
    }

    mutating func address(_ node: ConfigNode, _ token: Token) -> IPAddress? {
        if let value = ConfigValue.address(token.text) { return value }
        invalid(node, token, "expected an IPv4 or IPv6 address")
        return nil
    }

    /// A BOOL argument that may be omitted (omitted means true).
    mutating func optionalBool(_ node: ConfigNode) -> Bool? {
        rejectBlock(node)
        guard let token = node.arguments.first else { return true }
        if let value = ConfigValue.bool(token.text) { return value }
        invalid(node, token, "expected on|off|true|false|yes|no")
        return nil
    }

    /// A script keyword with shell-like quoting. Notify scripts are `"path args" [user [:][group]]`; with
    /// `takesUser` false (`misc_path`, whose user is a separate keyword) every word is an argument, and a quoted
    /// first word is split again (`misc_path "/bin/check -v" x` runs `/bin/check -v x`).
    mutating func script(_ node: ConfigNode, takesUser: Bool = true) -> ScriptCommand? {
        rejectBlock(node)
        let words: [String]
        do {
            words = try Lexer.shellWords(node.rest)
        } catch {
            log.error(.invalidValue, node.location, "invalid value for '\(node.name)': \(Self.describe(error))")
            return nil
        }
        guard let command = words.first, !command.isEmpty else {
            log.error(.syntax, node.location, "'\(node.name)' needs a script path")
            return nil
        }
        var arguments: [String]
        do {
            arguments = try Lexer.shellWords(command)
        } catch {
            log.error(.invalidValue, node.location, "invalid value for '\(node.name)': \(Self.describe(error))")
            return nil
        }
        guard let program = arguments.first, !program.isEmpty else {
            log.error(.syntax, node.location, "'\(node.name)' needs a script path")
            return nil
        }
        var user: String?
        var group: String?
        if !takesUser {
            arguments += words.dropFirst()
        } else if words.count > 1 {
            // `user [:][group]` or `user:group`
            let spec = words.dropFirst().joined(separator: " ")
            if let colon = spec.firstIndex(of: ":") {
                user = String(spec[..<colon]).trimmingBlanks()
                group = String(spec[spec.index(after: colon)...]).trimmingBlanks()
            } else {
                user = words[1]
                if words.count > 2 { group = words[2] }
            }
            if words.count > 3 && !spec.contains(":") {
                log.warning(.syntax, node.location, "'\(node.name)': extra words after the user and group ignored")
            }
            if user?.isEmpty == true { user = nil }
            if group?.isEmpty == true { group = nil }
        }
        return ScriptCommand(arguments: arguments, user: user, group: group, location: node.location)
    }

    private static func describe(_ error: Lexer.ShellQuotingError) -> String {
        switch error {
        case .unterminatedQuote(let q): "unterminated \(q) quote"
        case .trailingBackslash: "trailing backslash"
        }
    }
}

extension String {
    func trimmingBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
