import Logging

/// syslog(3) priorities: `facility * 8 + severity`, as the `<PRI>` at the start of each message.
public enum SyslogPriority {
    /// LOG_DAEMON's facility number.
    public static let daemonFacility = 3
    /// LOG_LOCAL0's facility number; LOG_LOCALN is this plus N.
    public static let local0Facility = 16

    /// The syslog severity for a swift-log level: trace and debug 7 (LOG_DEBUG), info 6, notice 5, warning 4,
    /// error 3, critical 2 (LOG_CRIT).
    public static func severity(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The `<PRI>` value: `facility * 8 + severity(of: level)`.
    public static func value(facility: Int, level: Logger.Level) -> Int {
        facility * 8 + self.severity(of: level)
    }
}
