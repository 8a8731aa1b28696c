/// Collects an SMTP server's bytes into replies, as keepalived's `smtp_read_thread` does: lines end in CRLF, a
/// line whose fourth character is `-` continues the reply, and the code is the last line's first three digits.
struct SMTPReplyReader {
    /// keepalived's read buffer (`SMTP_BUFFER_MAX`): a pending line may not grow beyond it.
    static let maximumPending = 1024

    /// What the bytes read so far amount to.
    enum Outcome: Equatable {
        /// A complete reply: its code and its last line.
        case reply(code: Int, line: String)
        /// A line that is not an SMTP reply (no three-digit code followed by a space, `-` or the line's end).
        case garbage(String)
        /// More than ``SMTPReplyReader/maximumPending`` bytes without a line end.
        case overflow
    }

    private var pending: [UInt8] = []

    /// Adds bytes; returns the replies (and problems) they complete, in order.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Outcome] {
        pending.append(contentsOf: bytes)
        var outcomes: [Outcome] = []
        var start = 0
        var index = 0
        while index + 1 < pending.count {
            guard pending[index] == UInt8(ascii: "\r"), pending[index + 1] == UInt8(ascii: "\n") else {
                index += 1
                continue
            }
            let line = Array(pending[start..<index])
            start = index + 2
            index = start
            if let outcome = Self.classify(line) { outcomes.append(outcome) }
        }
        pending.removeFirst(start)
        if pending.count > Self.maximumPending {
            pending.removeAll()
            outcomes.append(.overflow)
        }
        return outcomes
    }

    /// A reply's last line, a garbage line, or `nil` for a continuation line (`250-...`).
    private static func classify(_ line: [UInt8]) -> Outcome? {
        let text = String(decoding: line.prefix(200), as: UTF8.self)
        guard line.count >= 3, line[0..<3].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return .garbage(text)
        }
        if line.count > 3 {
            if line[3] == UInt8(ascii: "-") { return nil }
            guard line[3] == UInt8(ascii: " ") else { return .garbage(text) }
        }
        let code = line[0..<3].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return .reply(code: code, line: text)
    }
}
