/// Assembles the server's reply lines as keepalived's `smtp_get_line_cb` does: bytes accumulate in a 511-byte
/// buffer until a `\n`; a full buffer without one is cleared and reading goes on (keepalived logs a buffer
/// overflow); the line is what precedes the first `\n`, and whatever arrived after it is dropped (the next line is
/// read into a cleared buffer). Pure, for unit tests.
struct SMTPLineReader: Sendable {
    private var buffer: [UInt8] = []
    /// Bytes received for the current line, wraps included.
    private(set) var lineBytes = 0
    /// How often the buffer wrapped for the current line.
    private(set) var wraps = 0

    /// The outcome of feeding bytes.
    enum Outcome: Equatable {
        /// No complete line yet.
        case needMore
        /// A complete line (without its `\n`).
        case line([UInt8])
        /// More than ``SMTPCheck/maximumLineBytes`` without a `\n`.
        case tooLong
    }

    /// Feeds received bytes.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> Outcome {
        for byte in bytes {
            lineBytes += 1
            if lineBytes > SMTPCheck.maximumLineBytes { return .tooLong }
            if byte == 10 {
                let line = buffer
                reset()
                return .line(line)
            }
            if buffer.count >= SMTPCheck.lineBufferBytes {
                buffer.removeAll(keepingCapacity: true)
                wraps += 1
            }
            buffer.append(byte)
        }
        return .needMore
    }

    /// Clears the buffer for the next line.
    mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        lineBytes = 0
        wraps = 0
    }

    /// keepalived's `smtp_get_status`: exactly three leading digits followed by the end of the line or a space;
    /// nil otherwise (`220-` continuation lines and `220\r` are not statuses for keepalived either).
    static func status(of line: [UInt8]) -> Int? {
        guard line.count >= 3 else { return nil }
        var value = 0
        for byte in line[0..<3] {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        if line.count > 3 && line[3] != 32 { return nil }
        return value
    }

    /// A line for a log or status line: printable ASCII, at most 80 characters.
    static func printable(_ line: [UInt8]) -> String {
        String(decoding: line.prefix(80).map { (32...126).contains($0) ? $0 : 63 }, as: UTF8.self)
    }
}
