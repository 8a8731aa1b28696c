/// A URL's `regex` test on the response body (keepalived's `regex`, `regex_no_match`, `regex_options`,
/// `regex_min_offset`, `regex_max_offset`), run after the status and digest checks.
///
/// keepalived uses PCRE2; this uses Swift's `Regex`, whose syntax covers the common PCRE subset. Options
/// `caseless`, `multiline`, `dotall` and `extended` map to inline flags; other PCRE2 option names are accepted
/// and ignored. The body is matched as UTF-8 (invalid bytes become U+FFFD).
public struct BodyRegex: Hashable, Sendable {
    /// The pattern.
    public var pattern: String
    /// `regex_options` names.
    public var options: [String]
    /// `regex_no_match`: succeed when the pattern does *not* match.
    public var noMatch: Bool
    /// `regex_min_offset`: a match must start at or after this byte offset of the body.
    public var minOffset: Int
    /// `regex_max_offset`: a match must start at or before this byte offset.
    public var maxOffset: Int?

    /// Creates a body test; throws when the pattern does not compile.
    public init(
        pattern: String,
        options: [String] = [],
        noMatch: Bool = false,
        minOffset: Int = 0,
        maxOffset: Int? = nil
    ) throws(HTTPURLError) {
        self.pattern = pattern
        self.options = options
        self.noMatch = noMatch
        self.minOffset = max(0, minOffset)
        self.maxOffset = maxOffset
        guard (try? compiled()) != nil else { throw HTTPURLError.invalidRegex(pattern) }
    }

    private var inlineFlags: String {
        let flags = options.compactMap { option -> Character? in
            switch option {
            case "caseless": "i"
            case "multiline": "m"
            case "dotall": "s"
            case "extended": "x"
            default: nil
            }
        }
        return flags.isEmpty ? "" : "(?\(String(flags)))"
    }

    func compiled() throws -> Regex<AnyRegexOutput> {
        try Regex(inlineFlags + pattern)
    }

    /// True when `body` passes the test (a match in range, or none with `noMatch`).
    public func passes(_ body: [UInt8]) -> Bool {
        guard let regex = try? compiled() else { return false }
        let text = String(decoding: body, as: UTF8.self)
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: min(minOffset, utf8.count))
        var matched = false
        if let match = text[start...].firstMatch(of: regex) {
            let offset = utf8.distance(from: utf8.startIndex, to: match.range.lowerBound)
            matched = maxOffset.map { offset <= $0 } ?? true
        }
        return matched != noMatch
    }
}
