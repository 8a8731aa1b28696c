/// Matches a ``BodyRegex`` on a body as it streams in, with keepalived 2.2.7's algorithm (check_http.c's
/// `check_regex`), in bounded memory.
///
/// - Each chunk read is appended to a buffer of at most ``bufferCapacity`` bytes (keepalived's 4 KiB read buffer)
///   and matched with `PCRE2_PARTIAL_HARD`. A complete match ends the test; nothing else is matched afterwards.
/// - A partial match (the chunk ended mid-match) keeps the buffer from the partial match's start, less the
///   pattern's longest lookbehind, for the next chunk; a partial match that already fills the whole buffer is
///   dropped. Anything else is discarded.
/// - There is no final call once the body has ended: a pattern still matching partially at the very end of the
///   body (`OK$`, `\d+` on a body ending in digits, `\b`, `\Z`) has not matched, as in keepalived.
/// - `^` (without `multiline`) matches at the start of each buffer, as in keepalived.
/// - `regex_min_offset` / `regex_max_offset` count bytes of the body: matching starts at the minimum, and a match
///   starting after the maximum does not count (and ends the search).
public struct BodyRegexStream {
    /// keepalived's read buffer (`MAX_BUFFER_LENGTH` 4096, one byte kept for a terminator).
    public static let bufferCapacity = 4095

    let regex: BodyRegex
    let scratch: PCRE2MatchScratch
    private var buffer: [UInt8] = []
    /// Body offset of `buffer[0]` (keepalived's `regex_subject_offset`).
    private var subjectOffset = 0
    /// Where to resume in a kept buffer (keepalived's `start_offset`: the lookbehind kept before a partial match).
    private var resumeOffset = 0
    /// Whether a complete match within the offsets was found.
    public private(set) var matched = false
    /// The last PCRE2 error (a resource limit), if any: the chunk it happened on did not match.
    public private(set) var lastError: String?

    init(_ regex: BodyRegex) {
        self.regex = regex
        scratch = PCRE2MatchScratch(pattern: regex.compiled.code, stack: regex.stack.map { ($0.lowerBound, $0.upperBound) })
        buffer.reserveCapacity(Self.bufferCapacity)
    }

    /// Whether the body so far passes: a match, or none with `regex_no_match`.
    public var passes: Bool { matched != regex.noMatch }

    /// Feeds body bytes as they were read.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        var rest = bytes[...]
        while !rest.isEmpty {
            if matched { return }
            let room = Self.bufferCapacity - buffer.count
            let piece = rest.prefix(room)
            rest = rest.dropFirst(piece.count)
            buffer.append(contentsOf: piece)
            if !checkBuffer() { buffer.removeAll(keepingCapacity: true) }
        }
    }

    /// keepalived's `check_regex` on the buffer; true when the buffer must be kept for the next chunk.
    private mutating func checkBuffer() -> Bool {
        let length = buffer.count
        let lookbehind = regex.compiled.code.maxLookbehind
        var start = 0
        if regex.minOffset > 0 {
            if subjectOffset + length < regex.minOffset - min(lookbehind, regex.minOffset) {
                subjectOffset += length
                return false
            }
            if subjectOffset < regex.minOffset { start = regex.minOffset - subjectOffset }
        }
        if let maxOffset = regex.maxOffset, subjectOffset + resumeOffset > maxOffset {
            subjectOffset += length
            return false
        }
        start = max(start, resumeOffset)
        resumeOffset = 0
        guard start <= length else {
            subjectOffset += length
            return false
        }
        let outcome = buffer.withUnsafeBytes { scratch.match($0, from: start) }
        switch outcome {
        case .partial(let at):
            let keep = max(0, at - lookbehind)
            if keep > 0 {
                resumeOffset = lookbehind
                buffer.removeFirst(keep)
                subjectOffset += keep
                return true
            }
            if length == Self.bufferCapacity {
                subjectOffset += length
                return false
            }
            return true
        case .noMatch:
            subjectOffset += length
            return false
        case .error(_, let message):
            lastError = message
            subjectOffset += length
            return false
        case .match(let at):
            if regex.maxOffset.map({ subjectOffset + at <= $0 }) ?? true { matched = true }
            subjectOffset += length
            return false
        }
    }
}
