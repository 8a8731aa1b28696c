import KeepalivedConfig

/// `lvsd -t`: parse in strict mode and report.
public enum ConfigTest {
    /// The outcome of a configuration test.
    public struct Outcome: Sendable {
        /// Lines for stderr, `lvsd: FILE:LINE: warning: ...` / `error: ...`.
        public var messages: [String]
        /// 0 when the configuration is valid (warnings allowed), 1 on any error.
        public var exitStatus: Int32
        /// The parse result.
        public var result: ParseResult
    }

    /// Checks the configuration at `path` as `lvsd -t -f path` does.
    public static func run(path: String, program: String = "lvsd") -> Outcome {
        let result = ConfigurationReader.parse(file: path, options: ParseOptions(strict: true))
        let messages = result.diagnostics.map { $0.formatted(program: program) }
        return Outcome(messages: messages, exitStatus: result.hasErrors ? 1 : 0, result: result)
    }
}
