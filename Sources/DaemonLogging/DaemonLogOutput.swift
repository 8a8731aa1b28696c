#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import Synchronization

/// The destinations one process logs to, shared by all its ``DaemonLogHandler``s: the syslog socket (one
/// connection) and the console (one lock, so lines never interleave).
public final class DaemonLogOutput: Sendable {
    /// What was chosen at bootstrap.
    public let configuration: DaemonLogConfiguration
    private let syslogSocket: SyslogSocket?
    private let console: ConsoleWriter?
    private let consoleLock = Mutex(())
    private let clock: DaemonLogClock

    /// Creates the destinations `configuration` names. Nothing is opened yet: the syslog socket is connected
    /// by the first line sent to it.
    ///
    /// - Parameters:
    ///   - configuration: Console, syslog, facility, detail, ident and socket path.
    ///   - console: Where console lines go; standard error by default.
    ///   - clock: Timestamps and reconnection pacing; the system's clocks by default.
    public init(
        configuration: DaemonLogConfiguration,
        console: ConsoleWriter = .standardError,
        clock: DaemonLogClock = .system
    ) {
        self.configuration = configuration
        self.syslogSocket = configuration.syslog
            ? SyslogSocket(path: configuration.syslogPath, monotonicNanoseconds: clock.monotonicNanoseconds) : nil
        self.console = configuration.console ? console : nil
        self.clock = clock
    }

    /// A handler writing here, at the configuration's level (debug with `-D`, else info).
    public func makeHandler(label: String) -> DaemonLogHandler {
        DaemonLogHandler(label: label, output: self)
    }

    /// Lines handed to the syslog daemon.
    public var syslogSentCount: Int { self.syslogSocket?.sentCount ?? 0 }

    /// Lines meant for syslog but dropped: no socket, its queue full, or the connection broken.
    public var syslogDroppedCount: Int { self.syslogSocket?.droppedCount ?? 0 }

    /// Writes one event to every destination. Metadata is not written, as keepalived's lines have none.
    func write(level: Logger.Level, message: String) {
        let needsTime = self.syslogSocket != nil || self.configuration.detail
        let time = needsTime ? self.clock.wallTime() : nil
        let pid = getpid()
        if let console = self.console {
            let line = Self.consoleLine(level: level, message: message, pid: pid, ident: self.configuration.ident,
                                        timestamp: self.configuration.detail ? time : nil)
            self.consoleLock.withLock { _ in console.write(line) }
        }
        if let syslogSocket, let time {
            let priority = SyslogPriority.value(facility: self.configuration.facilityCode, level: level)
            syslogSocket.send(Self.syslogMessage(priority: priority, timestamp: time, ident: self.configuration.ident,
                                                 pid: pid, message: message))
        }
    }

    /// glibc's `syslog(3)` datagram after `openlog(ident, LOG_PID, facility)`:
    /// `<PRI>Mmm dd hh:mm:ss ident[PID]: message`, with no hostname and no newline added.
    static func syslogMessage(priority: Int, timestamp: LogTimestamp, ident: String, pid: Int32, message: String)
        -> [UInt8]
    {
        Array("<\(priority)>\(timestamp.syslogText) \(ident)[\(pid)]: \(message)".utf8)
    }

    /// lvsd's console line: `ident[PID]: message`, `warning: `/`error: `/`critical: ` before the message from
    /// warning up, and with `-D` the time first (`Tue Dec  2 15:09:14 2025 lvsd[7]: ...`).
    static func consoleLine(level: Logger.Level, message: String, pid: Int32, ident: String,
                            timestamp: LogTimestamp?) -> String
    {
        var line = timestamp.map { "\($0.consoleText) " } ?? ""
        line += "\(ident)[\(pid)]: "
        if level >= .warning { line += "\(level): " }
        return line + message + "\n"
    }
}
