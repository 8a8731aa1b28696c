/// keepalived's SMTP dialogue for one mail (`SMTP_FSM` in core/smtp.c), without I/O: replies in, commands out.
///
/// `220` banner → `HELO` → `250` → `MAIL FROM:<from>` → `250` → one `RCPT TO:<x>` per recipient, each `250` (or
/// `251`) → `DATA` → `354` → the message → `250` → `QUIT` → `221`. Any other code is logged by the caller with
/// the step, and the dialogue ends with `QUIT`, as keepalived's does.
struct SMTPDialogue {
    /// Where the dialogue is: what the next reply answers. The raw value is keepalived's name for it in
    /// `Error processing <name> cmd`.
    enum Step: String, Sendable {
        case greeting = "(E)SMTP"
        case helo = "HELO"
        case mail = "MAIL"
        case rcpt = "RCPT"
        case data = "DATA"
        case body = "BODY"
        case quit = "QUIT"
        case done = "END"
    }

    /// What to do after a reply.
    enum Action: Equatable {
        /// Write these bytes and wait for the next reply.
        case send([UInt8])
        /// Close the connection: the dialogue is over.
        case close
    }

    private let helo: String
    private let from: String
    private let recipients: [String]
    private let message: [UInt8]
    private var nextRecipient = 0
    /// The step whose reply is awaited.
    private(set) var step: Step = .greeting
    /// Whether the server accepted the message (`250` after the data).
    private(set) var delivered = false

    /// A dialogue for `message` (``SMTPMessage/render(_:from:recipients:date:)``).
    init(helo: String, from: String, recipients: [String], message: [UInt8]) {
        self.helo = helo
        self.from = from
        self.recipients = recipients
        self.message = message
    }

    /// The code each step expects.
    private func accepts(_ code: Int) -> Bool {
        switch step {
        case .greeting: code == 220
        case .helo, .mail, .body: code == 250
        case .rcpt: code == 250 || code == 251
        case .data: code == 354
        case .quit: code == 221
        case .done: false
        }
    }

    /// The server answered `code`: the next action, and whether the code was the one expected (when not, the
    /// caller logs it with ``step`` as it was before this call).
    mutating func received(code: Int) -> (action: Action, expected: Bool) {
        guard accepts(code) else {
            return (abandon(), false)
        }
        switch step {
        case .greeting:
            step = .helo
            return (.send(Array("HELO \(helo)\r\n".utf8)), true)
        case .helo:
            step = .mail
            return (.send(Array("MAIL FROM:<\(from)>\r\n".utf8)), true)
        case .mail, .rcpt:
            if nextRecipient < recipients.count {
                step = .rcpt
                nextRecipient += 1
                return (.send(Array("RCPT TO:<\(recipients[nextRecipient - 1])>\r\n".utf8)), true)
            }
            step = .data
            return (.send(Array("DATA\r\n".utf8)), true)
        case .data:
            step = .body
            return (.send(message), true)
        case .body:
            delivered = true
            step = .quit
            return (.send(Array("QUIT\r\n".utf8)), true)
        case .quit, .done:
            step = .done
            return (.close, true)
        }
    }

    /// The dialogue cannot go on (an unexpected code, garbage, a timeout): `QUIT`, or closing when `QUIT` was
    /// already sent.
    mutating func abandon() -> Action {
        switch step {
        case .quit, .done:
            step = .done
            return .close
        default:
            step = .quit
            return .send(Array("QUIT\r\n".utf8))
        }
    }
}
