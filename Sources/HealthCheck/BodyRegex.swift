import CPCRE2

/// A URL's `regex` test on the response body (keepalived's `regex`, `regex_no_match`, `regex_options`,
/// `regex_stack`, `regex_min_offset`, `regex_max_offset`), run after the status and digest checks.
///
/// The pattern is compiled by PCRE2, as keepalived 2.2.7 does, with the PCRE2 options `regex_options` names
/// (unknown names are ignored, as keepalived ignores them), and matched on the body as it streams in
/// (``BodyRegexStream``): keepalived's semantics, not Swift `Regex`'s.
public struct BodyRegex: Hashable, Sendable {
    /// keepalived 2.2.7's `regex_options` names and their PCRE2 compile options.
    public static let optionBits: [String: UInt32] = [
        "allow_empty_class": UInt32(PCRE2_ALLOW_EMPTY_CLASS), "alt_bsux": UInt32(PCRE2_ALT_BSUX),
        "auto_callout": UInt32(PCRE2_AUTO_CALLOUT), "caseless": UInt32(PCRE2_CASELESS),
        "dollar_endonly": UInt32(PCRE2_DOLLAR_ENDONLY), "dotall": UInt32(PCRE2_DOTALL),
        "dupnames": UInt32(PCRE2_DUPNAMES), "extended": UInt32(PCRE2_EXTENDED),
        "firstline": UInt32(PCRE2_FIRSTLINE), "match_unset_backref": UInt32(PCRE2_MATCH_UNSET_BACKREF),
        "multiline": UInt32(PCRE2_MULTILINE), "never_ucp": UInt32(PCRE2_NEVER_UCP),
        "never_utf": UInt32(PCRE2_NEVER_UTF), "no_auto_capture": UInt32(PCRE2_NO_AUTO_CAPTURE),
        "no_auto_possess": UInt32(PCRE2_NO_AUTO_POSSESS), "no_dotstar_anchor": UInt32(PCRE2_NO_DOTSTAR_ANCHOR),
        "no_start_optimize": UInt32(PCRE2_NO_START_OPTIMIZE), "ucp": UInt32(PCRE2_UCP),
        "ungreedy": UInt32(PCRE2_UNGREEDY), "utf": UInt32(PCRE2_UTF),
        "never_backslash_c": UInt32(PCRE2_NEVER_BACKSLASH_C), "alt_circumflex": UInt32(PCRE2_ALT_CIRCUMFLEX),
        "alt_verbnames": UInt32(PCRE2_ALT_VERBNAMES), "use_offset_limit": UInt32(PCRE2_USE_OFFSET_LIMIT),
    ]

    /// The pattern, as `regex` gave it (quotes removed, escapes kept for PCRE2).
    public var pattern: String { compiled.pattern }
    /// `regex_options` names (unknown ones are kept here and ignored).
    public let options: [String]
    /// `regex_no_match`: succeed when the pattern does *not* match.
    public let noMatch: Bool
    /// `regex_min_offset`: a match must start at or after this byte offset of the body.
    public let minOffset: Int
    /// `regex_max_offset`: a match must start at or before this byte offset of the body.
    public let maxOffset: Int?
    /// `regex_stack START MAX`: the JIT stack's initial and largest sizes in bytes (the largest capped at 64 MiB).
    public let stack: ClosedRange<Int>?
    let compiled: CompiledPattern

    /// Compiles the pattern; throws ``HTTPURLError/invalidRegex(_:message:offset:)`` with PCRE2's message and
    /// offset when it does not compile.
    public init(
        pattern: String,
        options: [String] = [],
        noMatch: Bool = false,
        minOffset: Int = 0,
        maxOffset: Int? = nil,
        stack: ClosedRange<Int>? = nil
    ) throws(HTTPURLError) {
        let bits = options.reduce(UInt32(0)) { $0 | (Self.optionBits[$1] ?? 0) }
        do throws(PCRE2Pattern.CompileError) {
            compiled = CompiledPattern(pattern: pattern, bits: bits, code: try PCRE2Pattern(pattern: pattern, options: bits))
        } catch {
            throw HTTPURLError.invalidRegex(pattern, message: error.message, offset: error.offset)
        }
        self.options = options
        self.noMatch = noMatch
        self.minOffset = max(0, minOffset)
        self.maxOffset = maxOffset
        self.stack = stack
    }

    /// A fresh matcher for one response body.
    public func stream() -> BodyRegexStream { BodyRegexStream(self) }

    /// True when `body`, delivered in `chunks` of at most this many bytes as reads would deliver it, passes the
    /// test (a match in range, or none with `noMatch`).
    public func passes(_ body: [UInt8], chunkSize: Int = BodyRegexStream.bufferCapacity) -> Bool {
        var stream = stream()
        var index = 0
        let step = max(1, chunkSize)
        while index < body.count {
            let end = min(body.count, index + step)
            stream.feed(body[index..<end])
            index = end
        }
        return stream.passes
    }

    /// The compiled pattern with what identifies it (compared by pattern and option bits, as keepalived shares
    /// compiled regexes).
    struct CompiledPattern: Hashable, Sendable {
        let pattern: String
        let bits: UInt32
        let code: PCRE2Pattern

        static func == (a: Self, b: Self) -> Bool { a.pattern == b.pattern && a.bits == b.bits }
        func hash(into hasher: inout Hasher) {
            hasher.combine(pattern)
            hasher.combine(bits)
        }
    }
}
