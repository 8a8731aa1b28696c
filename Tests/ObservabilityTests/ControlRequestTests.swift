import Observability
import Testing

@Suite struct ControlRequestTests {
    @Test(arguments: [
        ("status", ControlRequest.status(.text)),
        ("status json", .status(.json)),
        ("status text", .status(.text)),
        ("  status \t json\r", .status(.json)),
        ("reload", .reload),
        ("help", .help),
    ])
    func validLinesParse(line: String, expected: ControlRequest) throws {
        #expect(try ControlRequest(line: line) == expected)
    }

    @Test(arguments: [
        ("", ControlRequestError.emptyRequest),
        ("   \r", .emptyRequest),
        ("stats", .unknownCommand("stats")),
        ("STATUS", .unknownCommand("STATUS")),
        ("status xml", .unexpectedArguments(command: "status", arguments: ["xml"])),
        ("status json now", .unexpectedArguments(command: "status", arguments: ["json", "now"])),
        ("reload now", .unexpectedArguments(command: "reload", arguments: ["now"])),
        ("help me", .unexpectedArguments(command: "help", arguments: ["me"])),
    ])
    func invalidLinesFailWithAReason(line: String, expected: ControlRequestError) {
        #expect(throws: expected) { try ControlRequest(line: line) }
    }

    @Test func errorMessagesAreOneReadableLine() {
        let message = ControlRequestError.unknownCommand("\u{1b}[31m" + String(repeating: "x", count: 100)).description
        #expect(!message.contains("\u{1b}"))
        #expect(!message.contains("\n"))
        #expect(message.count < 100)
        #expect(message.hasSuffix("(try 'help')"))
    }

    @Test func linesRoundTrip() throws {
        for request in [ControlRequest.status(.text), .status(.json), .reload, .help] {
            #expect(try ControlRequest(line: request.line) == request)
        }
    }
}
