/// A word of a configuration line, with quotes removed.
public struct Token: Hashable, Sendable, CustomStringConvertible {
    /// The word with its double quotes removed (`ab"c d"` is `abc d`).
    public var text: String
    /// The word as written, quotes included; diagnostics quote this.
    public var raw: String
    /// Where the word was written.
    public var location: ConfigLocation
    /// Whether any part of the word was in double quotes.
    public var wasQuoted: Bool

    /// Creates a token.
    public init(text: String, raw: String, location: ConfigLocation, wasQuoted: Bool = false) {
        self.text = text
        self.raw = raw
        self.location = location
        self.wasQuoted = wasQuoted
    }

    /// The unquoted text.
    public var description: String { text }
}

/// One logical line: a keyword and its arguments, or a lone `{` or `}`.
///
/// Braces outside double quotes become lines of their own, so `real_server 10.0.0.2 80 { weight 2 }` is four
/// logical lines: `real_server 10.0.0.2 80`, `{`, `weight 2`, `}`.
struct LogicalLine: Sendable {
    /// The first word, quotes removed.
    var keyword: Token
    /// The other words, quotes removed (kept apart from the keyword, so a block's node takes them as they are).
    var arguments: [Token]
    /// The text after the first word, as written (quotes kept), for keywords with shell-like quoting.
    var rest: String
    /// Where the line was written.
    var location: ConfigLocation

    /// Every word, the keyword first.
    var tokens: [Token] { [keyword] + arguments }
    var isOpenBrace: Bool { arguments.isEmpty && keyword.raw == "{" }
    var isCloseBrace: Bool { arguments.isEmpty && keyword.raw == "}" }
}

/// Splits the text of configuration files into logical lines, as keepalived's `lib/parser.c` reads them.
enum Lexer {
    /// keepalived reads lines into a 1024-byte buffer; longer lines are rejected.
    static let maximumLineLength = 1024

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let hash = UInt8(ascii: "#")
    private static let bang = UInt8(ascii: "!")
    private static let openBrace = UInt8(ascii: "{")
    private static let closeBrace = UInt8(ascii: "}")

    /// Whether `byte` separates words (` \t\f\n\r\v`).
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// Splits one file's bytes into logical lines, reporting over-long lines and unterminated quotes.
    static func lines(of bytes: [UInt8], file: String, log: inout DiagnosticLog) -> [LogicalLine] {
        var preprocessor = Preprocessor(configID: nil)
        return lines(of: bytes, file: file, preprocessor: &preprocessor, log: &log)
    }

    /// Splits one file's bytes into logical lines, applying `preprocessor` (`@ID`, `$NAME=`) to each line.
    static func lines(of bytes: [UInt8], file: String, preprocessor: inout Preprocessor,
                      log: inout DiagnosticLog) -> [LogicalLine] {
        var result: [LogicalLine] = []
        result.reserveCapacity(bytes.count / 16)
        // One buffer for every line that needs rewriting (quotes, `\#`), reused.
        var scratch: [UInt8] = []
        var lineNumber = 0
        var start = 0
        let count = bytes.count
        while start <= count {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            if start == count && end == count { break }
            let location = ConfigLocation(file: file, line: lineNumber)
            var lineEnd = end
            while lineEnd > start && (bytes[lineEnd - 1] == 0x0D || bytes[lineEnd - 1] == 0x0A) { lineEnd -= 1 }
            if lineEnd - start > maximumLineLength {
                log.error(.syntax, location,
                          "line too long (\(lineEnd - start) bytes; the limit is \(maximumLineLength)) - ignoring it")
            } else {
                switch preprocessor.process(bytes[start..<lineEnd], file: file, location: location, log: &log) {
                case .unchanged:
                    splitPhysicalLine(bytes[start..<lineEnd], location: location, scratch: &scratch, into: &result,
                                      log: &log)
                case .replaced(let pieces):
                    for piece in pieces {
                        splitPhysicalLine(piece[...], location: location, scratch: &scratch, into: &result, log: &log)
                    }
                }
            }
            start = end + 1
        }
        return result
    }

    /// Strips the comment and cuts a physical line at braces outside quotes.
    ///
    /// A line without quotes or backslashes (nearly every line) is cut in place; any other is rewritten into
    /// `scratch` first (quotes kept for ``tokenize(_:location:)``, `\#` and `\!` made literal).
    private static func splitPhysicalLine(_ line: ArraySlice<UInt8>, location: ConfigLocation,
                                          scratch segment: inout [UInt8],
                                          into result: inout [LogicalLine], log: inout DiagnosticLog) {
        // An include line is taken whole, so that `{a,b}` in its pattern is not split at the braces.
        let isInclude = startsWithInclude(line)
        if !line.contains(where: { $0 == quote || $0 == backslash }) {
            var pieceStart = line.startIndex
            var index = line.startIndex
            while index < line.endIndex {
                let byte = line[index]
                if byte == hash || byte == bang { break }
                if !isInclude && (byte == openBrace || byte == closeBrace) {
                    if let logical = tokenize(line[pieceStart..<index], location: location) { result.append(logical) }
                    if let logical = tokenize(line[index..<index + 1], location: location) { result.append(logical) }
                    pieceStart = index + 1
                }
                index += 1
            }
            if let logical = tokenize(line[pieceStart..<index], location: location) { result.append(logical) }
            return
        }
        segment.removeAll(keepingCapacity: true)
        var inQuote = false
        var index = line.startIndex
        func flush() {
            if let logical = tokenize(segment[...], location: location) { result.append(logical) }
            segment.removeAll(keepingCapacity: true)
        }
        while index < line.endIndex {
            let byte = line[index]
            if byte == quote {
                inQuote.toggle()
                segment.append(byte)
            } else if !inQuote && byte == backslash, index + 1 < line.endIndex,
                      line[index + 1] == hash || line[index + 1] == bang {
                // `\#` and `\!` outside quotes are literal characters.
                segment.append(line[index + 1])
                index += 1
            } else if !inQuote && (byte == hash || byte == bang) {
                break
            } else if !inQuote && !isInclude && (byte == openBrace || byte == closeBrace) {
                flush()
                segment.append(byte)
                flush()
            } else {
                segment.append(byte)
            }
            index += 1
        }
        if inQuote {
            log.warning(.syntax, location, "unterminated quote; the quoted text runs to the end of the line")
        }
        flush()
    }

    /// Whether the first word of `line` is `include` or one of its strict variants.
    private static func startsWithInclude(_ line: ArraySlice<UInt8>) -> Bool {
        var index = line.startIndex
        while index < line.endIndex && isBlank(line[index]) { index += 1 }
        let start = index
        while index < line.endIndex && !isBlank(line[index]) && line[index] != openBrace && line[index] != closeBrace {
            index += 1
        }
        guard index - start >= 7, index - start <= 8, line[start] == UInt8(ascii: "i") else { return false }
        return SourceReader.includeKeywords.contains(String(decoding: line[start..<index], as: UTF8.self))
    }

    /// Splits a segment into words with keepalived's default rules: blanks separate, `"` quotes and is removed,
    /// quoted and unquoted parts of one word are glued. Returns `nil` for a blank segment.
    static func tokenize(_ segment: ArraySlice<UInt8>, location: ConfigLocation) -> LogicalLine? {
        var index = segment.startIndex
        let end = segment.endIndex
        guard let keyword = nextWord(segment, from: &index, location: location) else { return nil }
        var restStart = index
        while restStart < end && isBlank(segment[restStart]) { restStart += 1 }
        guard restStart < end else { return LogicalLine(keyword: keyword, arguments: [], rest: "", location: location) }
        var restEnd = end
        while restEnd > restStart && isBlank(segment[restEnd - 1]) { restEnd -= 1 }
        var arguments: [Token] = []
        arguments.reserveCapacity(4)
        while let token = nextWord(segment, from: &index, location: location) { arguments.append(token) }
        // One argument is usually the whole rest of the line: its text as written is then the rest (one string for
        // both). Not so when an unterminated quote carried trailing blanks into it.
        let rest = arguments.count == 1 && arguments[0].raw.utf8.count == restEnd - restStart
            ? arguments[0].raw : String(decoding: segment[restStart..<restEnd], as: UTF8.self)
        return LogicalLine(keyword: keyword, arguments: arguments, rest: rest, location: location)
    }

    /// The next word of `segment` at or after `index` (blanks skipped), with `index` moved past it; `nil` at the end.
    @inline(__always)
    private static func nextWord(_ segment: ArraySlice<UInt8>, from index: inout Int, location: ConfigLocation) -> Token? {
        let end = segment.endIndex
        while index < end && isBlank(segment[index]) { index += 1 }
        guard index < end else { return nil }
        let wordStart = index
        var quoted = false
        var inQuote = false
        while index < end && (inQuote || !isBlank(segment[index])) {
            if segment[index] == quote {
                inQuote.toggle()
                quoted = true
            }
            index += 1
        }
        let raw = String(decoding: segment[wordStart..<index], as: UTF8.self)
        guard quoted else {
            // Without quotes the text is the word as written (one string for both).
            return Token(text: raw, raw: raw, location: location, wasQuoted: false)
        }
        let text = String(decoding: segment[wordStart..<index].lazy.filter { $0 != quote }, as: UTF8.self)
        return Token(text: text, raw: raw, location: location, wasQuoted: true)
    }

    /// The failure of ``shellWords(_:)``.
    enum ShellQuotingError: Error, Equatable {
        case unterminatedQuote(Character)
        case trailingBackslash
    }

    /// Splits text with shell-like rules, as keepalived does for scripts (`notify_up`, `misc_path`, ...):
    /// `'...'` quotes literally, `"..."` quotes with `\"` and `\\` escapes, a backslash outside quotes escapes the
    /// next character, and blanks separate words.
    static func shellWords(_ text: String) throws(ShellQuotingError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(text).makeIterator()
        while let c = iterator.next() {
            switch c {
            case " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "'" { closed = true; break }
                    current.append(q)
                }
                if !closed { throw .unterminatedQuote("'") }
            case "\"":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "\"" { closed = true; break }
                    if q == "\\" {
                        guard let next = iterator.next() else { throw .unterminatedQuote("\"") }
                        if next != "\"" && next != "\\" { current.append("\\") }
                        current.append(next)
                    } else {
                        current.append(q)
                    }
                }
                if !closed { throw .unterminatedQuote("\"") }
            case "\\":
                guard let next = iterator.next() else { throw .trailingBackslash }
                inWord = true
                current.append(next)
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
