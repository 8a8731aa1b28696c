import Testing
@testable import KeepalivedConfig

@Suite struct LexerTests {
    private func lines(_ text: String) -> ([LogicalLine], [Diagnostic]) {
        var log = DiagnosticLog(strict: false)
        let result = Lexer.lines(of: Array(text.utf8), file: "f.conf", log: &log)
        return (result, log.entries)
    }

    private func words(_ text: String) -> [[String]] { lines(text).0.map { $0.tokens.map(\.text) } }

    @Test func commentsWithHashAndBangOutsideQuotes() {
        #expect(words("a b # c\n! whole line\nd ! e") == [["a", "b"], ["d"]])
        #expect(words("x \"a # b ! c\" y") == [["x", "a # b ! c", "y"]])
    }

    @Test func escapedCommentCharactersAreLiteral() {
        #expect(words(##"path /a\#b\!c # comment"##) == [["path", "/a#b!c"]])
    }

    @Test func bracesBecomeTheirOwnLines() {
        #expect(words("real_server 1.2.3.4 80 { weight 2 }") == [["real_server", "1.2.3.4", "80"], ["{"], ["weight", "2"], ["}"]])
        #expect(words("a{b}c") == [["a"], ["{"], ["b"], ["}"], ["c"]])
        #expect(words("x \"{in quotes}\"") == [["x", "{in quotes}"]])
    }

    @Test func quotesAreRemovedAndGlued() {
        let (result, _) = lines(#"kw ab"c d"e "f""#)
        #expect(result.first?.tokens.map(\.text) == ["kw", "abc de", "f"])
        #expect(result.first?.tokens[1].wasQuoted == true)
        #expect(result.first?.tokens[1].raw == #"ab"c d"e"#)
    }

    @Test func lineNumbersCountPhysicalLines() {
        let (result, _) = lines("a\n\n  # x\n\tb { c }\r\nd")
        #expect(result.map(\.location.line) == [1, 4, 4, 4, 4, 5])
        #expect(result.allSatisfy { $0.location.file == "f.conf" })
    }

    @Test func crlfAndBlanksAreStripped() {
        #expect(words("  a  b \r\n") == [["a", "b"]])
    }

    @Test func restKeepsQuotesForShellLikeKeywords() {
        let (result, _) = lines(#"notify_up "/bin/x 'a b'" root  "#)
        #expect(result.first?.rest == #""/bin/x 'a b'" root"#)
    }

    @Test func restOfOneArgumentIsThatArgumentAsWritten() {
        #expect(lines("misc_path /bin/check  \t").0.first?.rest == "/bin/check")
        #expect(lines(#"misc_path "/bin/check x""#).0.first?.rest == #""/bin/check x""#)
        #expect(lines("TCP_CHECK   ").0.first?.rest == "")
        // An unterminated quote runs to the end of the line, blanks included; the rest is still trimmed.
        let (open, _) = lines("misc_path \"/bin/x   ")
        #expect(open.first?.arguments.first?.raw == "\"/bin/x   ")
        #expect(open.first?.rest == "\"/bin/x")
    }

    @Test func overlongLineIsAnErrorAndIgnored() {
        let long = "router_id " + String(repeating: "x", count: 1100)
        let (result, diagnostics) = lines("a\n" + long + "\nb")
        #expect(result.map { $0.tokens[0].text } == ["a", "b"])
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.severity == .error)
        #expect(diagnostics.first?.location.line == 2)
        #expect(diagnostics.first?.message.contains("too long") == true)
    }

    @Test func lineOfExactlyTheLimitIsAccepted() {
        let exact = "k " + String(repeating: "y", count: Lexer.maximumLineLength - 2)
        let (result, diagnostics) = lines(exact)
        #expect(diagnostics.isEmpty)
        #expect(result.count == 1)
    }

    @Test func unterminatedQuoteWarns() {
        let (result, diagnostics) = lines("kw \"abc def")
        #expect(result.first?.tokens.map(\.text) == ["kw", "abc def"])
        #expect(diagnostics.first?.severity == .warning)
    }

    @Test func shellWords() throws {
        #expect(try Lexer.shellWords(#"/bin/check 'a b' "c \"d\"" e\ f"#) == ["/bin/check", "a b", #"c "d""#, "e f"])
        #expect(try Lexer.shellWords("  ") == [])
        #expect(try Lexer.shellWords("''") == [""])
        #expect(throws: Lexer.ShellQuotingError.unterminatedQuote("'")) { try Lexer.shellWords("a 'b") }
        #expect(throws: Lexer.ShellQuotingError.trailingBackslash) { try Lexer.shellWords("a \\") }
    }

    @Test func invalidUTF8DoesNotBreakTokenizing() {
        var log = DiagnosticLog(strict: false)
        let bytes: [UInt8] = Array("router_id ".utf8) + [0xFF, 0xFE, 0x00, 0x41]
        let result = Lexer.lines(of: bytes, file: "f", log: &log)
        #expect(result.count == 1)
        #expect(result.first?.tokens.count == 2)
    }
}

@Suite struct BlockTreeTests {
    private func tree(_ text: String) -> ([ConfigNode], [Diagnostic]) {
        var log = DiagnosticLog(strict: false)
        let lines = Lexer.lines(of: Array(text.utf8), file: "t.conf", log: &log)
        let nodes = BlockTree.build(lines, log: &log)
        return (nodes, log.entries)
    }

    @Test func braceOnTheNextLineOpensTheBlock() {
        let (nodes, diagnostics) = tree("a\n{\n b 1\n}\nc")
        #expect(diagnostics.isEmpty)
        #expect(nodes.map(\.name) == ["a", "c"])
        #expect(nodes[0].block?.map(\.name) == ["b"])
        #expect(nodes[1].block == nil)
    }

    @Test func strayCloseBraceIsAnErrorWithLine() {
        let (nodes, diagnostics) = tree("a {\n}\n}\nb")
        #expect(nodes.map(\.name) == ["a", "b"])
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.location.line == 3)
    }

    @Test func missingCloseBraceIsAnErrorAtTheOpeningLine() {
        let (nodes, diagnostics) = tree("x\na {\n b {\n  c\n")
        #expect(nodes.map(\.name) == ["x", "a"])
        #expect(nodes[1].block?.first?.block?.first?.name == "c")
        #expect(diagnostics.count == 2)
        #expect(Set(diagnostics.map(\.location.line)) == [2, 3])
        #expect(diagnostics.allSatisfy { $0.severity == .error })
    }

    @Test func orphanOpenBraceIsAnErrorAndItsBlockIsDropped() {
        let (nodes, diagnostics) = tree("{\n inner 1\n}\nafter")
        #expect(nodes.map(\.name) == ["after"])
        #expect(diagnostics.first?.location.line == 1)
        let (nodes2, diagnostics2) = tree("a { }\n{ b }\nc")
        #expect(nodes2.map(\.name) == ["a", "c"])
        #expect(diagnostics2.count == 1)
    }
}
