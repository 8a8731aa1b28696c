import Logging
import Synchronization

/// lvsd's one `LogHandler`: writes each event to syslog, the console, or both, as keepalived does with
/// `-l`, `-G`, `-S` and `-D` (see ``DaemonLogConfiguration``).
///
/// ```swift
/// let configuration = DaemonLogConfiguration(console: options.logConsole, syslog: !options.noSyslog,
///                                            facility: options.logFacility, detail: options.logDetail)
/// LoggingSystem.bootstrap { DaemonLogHandler.makeHandler(label: $0, configuration: configuration) }
/// ```
///
/// Logging never blocks on syslog: a line the syslog daemon cannot take at once is dropped and counted
/// (``DaemonLogOutput/syslogDroppedCount``). Console lines are written to standard error as they come.
public struct DaemonLogHandler: LogHandler {
    /// The label the logger was created with (not written: keepalived's lines carry only the ident).
    public let label: String
    /// The destinations, shared with every other handler made from the same output.
    public let output: DaemonLogOutput
    /// Metadata set on the logger. Not written, as keepalived's lines have none.
    public var metadata: Logger.Metadata = [:]
    /// Not consulted, as metadata is not written.
    public var metadataProvider: Logger.MetadataProvider?
    /// The least level written: debug with `-D`, info otherwise, until changed.
    public var logLevel: Logger.Level

    /// A handler writing to `output`, at its configuration's level.
    public init(label: String, output: DaemonLogOutput) {
        self.label = label
        self.output = output
        self.logLevel = output.configuration.logLevel
    }

    /// A handler for `LoggingSystem.bootstrap` or `Logger(label:factory:)`. Every call with an equal
    /// configuration shares one ``DaemonLogOutput``, so a process keeps a single syslog connection however many
    /// loggers it makes.
    public static func makeHandler(label: String, configuration: DaemonLogConfiguration) -> DaemonLogHandler {
        let output = sharedOutputs.withLock { outputs in
            if let existing = outputs[configuration] { return existing }
            let made = DaemonLogOutput(configuration: configuration)
            outputs[configuration] = made
            return made
        }
        return DaemonLogHandler(label: label, output: output)
    }

    /// Gets or sets one metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    /// Writes the event's level and message to the configured destinations.
    public func log(event: LogEvent) {
        self.output.write(level: event.level, message: event.message.description)
    }

    private static let sharedOutputs = Mutex<[DaemonLogConfiguration: DaemonLogOutput]>([:])
}
