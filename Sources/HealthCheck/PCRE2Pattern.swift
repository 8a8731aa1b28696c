import CPCRE2

/// A pattern compiled by PCRE2 (8-bit), JIT-compiled for partial matching where the platform allows it.
///
/// The compiled code is immutable once built, so one instance is shared by every probe and thread; each match
/// brings its own match data and, for a JIT stack, its own stack (``PCRE2MatchScratch``).
final class PCRE2Pattern: @unchecked Sendable {
    /// Why a pattern does not compile: PCRE2's message and the byte offset in the pattern it points at.
    struct CompileError: Error, Hashable, Sendable, CustomStringConvertible {
        /// PCRE2's error text (`missing closing parenthesis`).
        var message: String
        /// The byte offset in the pattern where PCRE2 stopped.
        var offset: Int
        var description: String { "\(message) at offset \(offset)" }
    }

    let code: OpaquePointer
    /// Whether the JIT compiled the pattern (for `PCRE2_PARTIAL_HARD`); else the interpreter runs it.
    let usesJIT: Bool
    /// `PCRE2_INFO_MAXLOOKBEHIND`: how many bytes before a partial match must be kept for the next chunk.
    let maxLookbehind: Int

    /// Compiles `pattern` with the PCRE2 option bits `options`.
    init(pattern: String, options: UInt32) throws(CompileError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let terminated = Array(pattern.utf8) + [0]  // never an empty buffer: PCRE2 10.42 refuses a NULL pattern
        let compiled: OpaquePointer? = terminated.withUnsafeBufferPointer { bytes in
            pcre2_compile_8(bytes.baseAddress, bytes.count - 1, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            throw CompileError(message: Self.message(for: errorCode), offset: errorOffset)
        }
        code = compiled
        usesJIT = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_PARTIAL_HARD)) == 0
        var lookbehind: UInt32 = 0
        _ = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_MAXLOOKBEHIND), &lookbehind)
        maxLookbehind = Int(lookbehind)
    }

    deinit { pcre2_code_free_8(code) }

    /// PCRE2's text for an error code.
    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(code, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer.prefix(Int(n)), as: UTF8.self) : "PCRE2 error \(code)"
    }
}

/// The outcome of one `pcre2_match` call with `PCRE2_PARTIAL_HARD`.
enum PCRE2MatchOutcome: Hashable, Sendable {
    /// A complete match starting at this byte offset of the subject.
    case match(at: Int)
    /// The end of the subject was reached mid-match; the partial match starts at this offset.
    case partial(at: Int)
    /// No match.
    case noMatch
    /// Any other PCRE2 result (a limit hit, a bad offset): PCRE2's code and message.
    case error(Int32, String)
}

/// Per-match state: match data sized for the pattern, a match context bounding the interpreter's heap, and the
/// JIT stack `regex_stack` asks for. Not shared between concurrent matches.
final class PCRE2MatchScratch {
    /// The interpreter's backtracking heap limit (KiB): bounded memory whatever the pattern.
    static let heapLimitKiB: UInt32 = 16 * 1024
    /// The largest JIT stack `regex_stack` may ask for (bytes).
    static let maxJITStack = 64 << 20

    let pattern: PCRE2Pattern
    private let matchData: OpaquePointer?
    private let context: OpaquePointer?
    private let jitStack: OpaquePointer?

    /// Scratch space for `pattern`; `stack` is `regex_stack`'s start and maximum sizes in bytes, if given.
    init(pattern: PCRE2Pattern, stack: (start: Int, max: Int)?) {
        self.pattern = pattern
        matchData = pcre2_match_data_create_from_pattern_8(pattern.code, nil)
        let context = pcre2_match_context_create_8(nil)
        if let context { _ = pcre2_set_heap_limit_8(context, Self.heapLimitKiB) }
        var jitStack: OpaquePointer?
        if let stack, pattern.usesJIT, let context {
            let maximum = min(max(stack.max, 1), Self.maxJITStack)
            jitStack = pcre2_jit_stack_create_8(min(max(stack.start, 1), maximum), maximum, nil)
            if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
        }
        self.context = context
        self.jitStack = jitStack
    }

    deinit {
        if let matchData { pcre2_match_data_free_8(matchData) }
        if let context { pcre2_match_context_free_8(context) }
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }

    /// Matches `subject` from byte `start` with `PCRE2_PARTIAL_HARD` (a partial match wins over a complete one).
    func match(_ subject: UnsafeRawBufferPointer, from start: Int) -> PCRE2MatchOutcome {
        guard let matchData else { return .error(PCRE2_ERROR_NOMEMORY, PCRE2Pattern.message(for: PCRE2_ERROR_NOMEMORY)) }
        guard let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return .noMatch }
        let rc = pcre2_match_8(pattern.code, base, subject.count, start, UInt32(PCRE2_PARTIAL_HARD), matchData, context)
        let first = pcre2_get_ovector_count_8(matchData) > 0 ? pcre2_get_ovector_pointer_8(matchData)?[0] ?? 0 : 0
        switch rc {
        case PCRE2_ERROR_PARTIAL: return .partial(at: first)
        case PCRE2_ERROR_NOMATCH: return .noMatch
        case ..<0: return .error(rc, PCRE2Pattern.message(for: rc))
        default: return .match(at: first)
        }
    }
}
