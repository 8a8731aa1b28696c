import Logging

/// How lvsd logs, from its options: the handler factory for `LoggingSystem.bootstrap`.
public enum DaemonLog {
    /// The factory for `options` (`-l` console, `-D` detail).
    public static func factory(_ options: LvsdOptions) -> @Sendable (String) -> any LogHandler {
        let detail = options.logDetail
        return { _ in
            var handler = ConsoleLogHandler(detail: detail)
            handler.logLevel = detail ? .debug : .info
            return handler
        }
    }
}
