import DaemonLogging
import Logging

/// How lvsd logs, from its options, as keepalived does: syslog (ident `lvsd`, with the pid, facility daemon or
/// LOCALn with `-S n`) unless `-G`; the console too with `-l`; debug detail with `-D`.
public enum DaemonLog {
    /// The logging configuration `options` ask for.
    public static func configuration(_ options: LvsdOptions) -> DaemonLogConfiguration {
        DaemonLogConfiguration(console: options.logConsole, syslog: !options.noSyslog, facility: options.logFacility,
                               detail: options.logDetail)
    }

    /// The handler factory for `LoggingSystem.bootstrap`.
    public static func factory(_ options: LvsdOptions) -> @Sendable (String) -> any LogHandler {
        let configuration = configuration(options)
        return { label in DaemonLogHandler.makeHandler(label: label, configuration: configuration) }
    }
}
