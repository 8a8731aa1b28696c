import Testing

@testable import HealthCheck

/// Patterns whose meaning differs between Swift's `Regex` (what lvsd used before) and PCRE2 as keepalived 2.2.7
/// runs it (byte-oriented, `PCRE2_PARTIAL_HARD` on each read buffer, no final call at the end of the body).
/// Each case says what Swift's `Regex` would answer, and the test checks that answer really differs.
@Suite("PCRE2 regex semantics (keepalived's, not Swift Regex's)", .timeLimit(.minutes(1)))
struct PCRE2SemanticsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var pattern: String
        var options: [String] = []
        var body: String
        var pcre2: Bool
        var why: String
        var testDescription: String { "\(pattern) on \(body.debugDescription): \(why)" }
    }

    static let cases: [Case] = [
        // Anchors and end of body: PARTIAL_HARD makes anything that could still grow at the end a partial match.
        Case(pattern: "healthy$", body: "service healthy", pcre2: false, why: "$ at the end of the body is partial"),
        Case(pattern: "healthy\\Z", body: "service healthy\n", pcre2: false, why: "\\Z before a final newline is partial"),
        Case(pattern: "[[:digit:]]+", body: "count 42", pcre2: false, why: "digits at the very end could grow"),
        Case(pattern: "[[:digit:]]+", body: "count 42.", pcre2: true, why: "POSIX class, match ended by a non-digit"),
        Case(pattern: "^OK$", options: ["multiline"], body: "x\nOK\ny", pcre2: true, why: "multiline option"),
        // Bytes, not grapheme clusters or Unicode scalars.
        Case(pattern: "cafe", body: "cafe\u{301}!", pcre2: true, why: "e followed by a combining accent is still e"),
        Case(pattern: "a.b", body: "a\rb", pcre2: true, why: ". matches CR (newline is LF only)"),
        Case(pattern: "a.b", body: "a\nb", pcre2: false, why: ". does not match LF without dotall"),
        Case(pattern: "a.b", options: ["dotall"], body: "a\nb", pcre2: true, why: "dotall"),
        Case(pattern: "^.{2}x", body: "\u{e9}x.", pcre2: true, why: ". is one byte: é is two"),
        Case(pattern: "\\h+x", body: "a \tx.", pcre2: true, why: "\\h: horizontal white space"),
        // PCRE2-only constructs.
        Case(pattern: "\\((?:[^()]|(?R))*\\)", body: "f((a)(b)).", pcre2: true, why: "recursion (?R)"),
        Case(pattern: "(a)\\1", body: "xaax", pcre2: true, why: "backreference"),
        Case(pattern: "(?|(a)|(b))\\1", body: "bb.", pcre2: true, why: "branch reset group"),
        Case(pattern: "status: \\KOK", body: "status: OK.", pcre2: true, why: "\\K resets the match start"),
        Case(pattern: "[[:<:]]ok", body: "b ok.", pcre2: true, why: "POSIX start-of-word"),
        Case(pattern: "a++a", body: "aaab", pcre2: false, why: "possessive: gives nothing back"),
        Case(pattern: "(?>a+)b", body: "aaab", pcre2: true, why: "atomic group"),
        Case(pattern: "(?i)ok", body: "OK!", pcre2: true, why: "inline caseless"),
        Case(pattern: "a(?i)B", body: "ab.", pcre2: true, why: "inline option from there on"),
        Case(pattern: "A(?i)b", body: "ab.", pcre2: false, why: "inline option does not reach back"),
        Case(pattern: "a+?", options: ["ungreedy"], body: "aaa.", pcre2: true, why: "ungreedy"),
        Case(pattern: "a b c", options: ["extended"], body: "abc.", pcre2: true, why: "extended ignores spaces"),
        Case(pattern: "(a)|b\\1", options: ["match_unset_backref"], body: "b.", pcre2: true, why: "unset backref matches empty"),
        Case(pattern: "(a)|b\\1", body: "b.", pcre2: false, why: "unset backref fails by default"),
        Case(pattern: "OK", options: ["no_such_option"], body: "OK.", pcre2: true, why: "unknown option names are ignored"),
    ]

    @Test(arguments: cases)
    func pcre2Answer(_ c: Case) throws {
        let regex = try BodyRegex(pattern: c.pattern, options: c.options)
        #expect(regex.passes(Array(c.body.utf8)) == c.pcre2)
    }

    /// The same cases on Swift's `Regex` where it compiles: where PCRE2's answer is the documented difference,
    /// Swift's must differ (otherwise the case would not show anything).
    @Test func swiftRegexAnswersDifferently() throws {
        let differing: [(String, String)] = [
            ("healthy$", "service healthy"), ("[[:digit:]]+", "count 42"), ("cafe", "cafe\u{301}!"), ("a.b", "a\rb"),
            ("^.{2}x", "\u{e9}x."),
        ]
        for (pattern, body) in differing {
            let swift = try Regex(pattern)
            let swiftMatches = body.firstMatch(of: swift) != nil
            let pcre2 = try BodyRegex(pattern: pattern).passes(Array(body.utf8))
            #expect(swiftMatches != pcre2, "\(pattern) on \(body.debugDescription)")
        }
        for pattern in ["\\((?:[^()]|(?R))*\\)", "(?|(a)|(b))\\1", "[[:<:]]ok"] {
            #expect((try? Regex(pattern)) == nil, "Swift's Regex accepts \(pattern)")
            #expect((try? BodyRegex(pattern: pattern)) != nil)
        }
    }

    @Test func garbagePatternsReportPCRE2sMessageAndOffset() {
        let garbage: [(String, String, Int)] = [
            ("(", "missing closing parenthesis", 1),
            ("a{2,1}", "numbers out of order in {} quantifier", 5),
            ("[z-a]", "range out of order in character class", 3),
            ("\\", "\\ at end of pattern", 1),
            ("*a", "quantifier does not follow a repeatable item", 0),
            ("(?<=a+)b", "lookbehind assertion is not fixed length", 0),
            ("\\y", "unrecognized character follows \\", 1),
            ("[[:nope:]]", "unknown POSIX class name", 3),
            ("(?P<1a>x)", "subpattern name must start with a non-digit", 4),
        ]
        for (pattern, message, offset) in garbage {
            do throws(HTTPURLError) {
                _ = try BodyRegex(pattern: pattern)
                Issue.record("\(pattern) compiled")
            } catch {
                #expect(error == .invalidRegex(pattern, message: message, offset: offset), "\(pattern)")
            }
        }
    }

    @Test func nonUTF8BodiesAreMatchedAsBytes() throws {
        var body: [UInt8] = Array("pre".utf8) + [0xff, 0xfe] + Array("OK.".utf8)
        #expect(try BodyRegex(pattern: "\\xff\\xfeOK").passes(body))
        #expect(try BodyRegex(pattern: "pre..OK").passes(body))
        body[3] = 0
        #expect(try BodyRegex(pattern: "pre\\x00").passes(body))
    }
}

/// keepalived's streaming: each read is matched on its own, with a partial match carried over.
@Suite("Regex on a streamed body", .timeLimit(.minutes(1)))
struct BodyRegexStreamTests {
    @Test func aMatchAcrossReadsIsFoundThroughThePartialMatch() throws {
        let body = Array(("x".repeated(5000) + "HEALTHY.").utf8)
        for size in [1, 3, 7, 1000, 4095, 10000] {
            #expect(try BodyRegex(pattern: "HEALTHY").passes(body, chunkSize: size), "chunks of \(size)")
        }
    }

    @Test func lookbehindIsKeptForTheNextRead() throws {
        let regex = try BodyRegex(pattern: "(?<=state: )UP")
        var stream = regex.stream()
        stream.feed(Array("state: U".utf8))
        stream.feed(Array("P.".utf8))
        #expect(stream.matched)
    }

    @Test func aPartialMatchBeforeTheLongestLookbehindKeepsTheWholeBuffer() throws {
        // keepalived 2.2.7 computes the bytes to drop as an unsigned difference that wraps here (a heap overflow,
        // fixed upstream by a saturating subtraction, as lvsd does it).
        let regex = try BodyRegex(pattern: "bar|(?<=12345)X")
        var stream = regex.stream()
        stream.feed(Array("ba".utf8))
        stream.feed(Array("r.".utf8))
        #expect(stream.matched)
    }

    @Test func aPartialMatchFillingTheBufferIsDropped() throws {
        // A whole-body match would find a...z; keepalived's 4 KiB buffer gives up on the partial match.
        let body = Array(("a" + "b".repeated(5000) + "z.").utf8)
        #expect(try !BodyRegex(pattern: "a[^z]*z").passes(body))
        #expect(try BodyRegex(pattern: "a[^z]*z").passes(Array(("a" + "b".repeated(100) + "z.").utf8)))
    }

    @Test func caretMatchesAtTheStartOfEachRead() throws {
        let regex = try BodyRegex(pattern: "^OK")
        var stream = regex.stream()
        stream.feed(Array("xx\n".utf8))
        stream.feed(Array("OK.".utf8))
        #expect(stream.matched)
        #expect(try !regex.passes(Array("xx\nOK.".utf8)))
    }

    @Test func offsetsCountBodyBytesAcrossReads() throws {
        let body = Array(("0123456789" + "OK" + "....").utf8)
        #expect(try BodyRegex(pattern: "OK", minOffset: 10, maxOffset: 10).passes(body, chunkSize: 3))
        #expect(try !BodyRegex(pattern: "OK", minOffset: 11).passes(body, chunkSize: 3))
        #expect(try !BodyRegex(pattern: "OK", maxOffset: 9).passes(body, chunkSize: 3))
        #expect(try BodyRegex(pattern: "OK", maxOffset: 9).passes(Array("OK.".utf8) + body, chunkSize: 3))
    }

    @Test func noMatchSucceedsOnlyWithoutAMatch() throws {
        #expect(try BodyRegex(pattern: "ERROR", noMatch: true).passes(Array("all fine".utf8)))
        #expect(try !BodyRegex(pattern: "ERROR", noMatch: true).passes(Array("an ERROR.".utf8)))
        // An empty body never matches, so regex_no_match passes on it.
        #expect(try BodyRegex(pattern: "x*", noMatch: true).passes([]))
    }

    @Test func catastrophicPatternsStayBounded() throws {
        // Exponential backtracking: the JIT's stack (or the interpreter's heap limit) ends it; no match, no hang.
        let regex = try BodyRegex(pattern: "(a*)*b", stack: (32 * 1024)...(1 << 20))
        let body = Array(("a".repeated(3000) + "c").utf8)
        var stream = regex.stream()
        stream.feed(body)
        #expect(!stream.matched)
    }
}

extension String {
    fileprivate func repeated(_ n: Int) -> String { String(repeating: self, count: n) }
}
