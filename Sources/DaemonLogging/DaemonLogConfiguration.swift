import Logging

/// Where lvsd's log lines go and how much is logged: keepalived's `-l`, `-G`, `-S` and `-D`.
///
/// | keepalived option | field |
/// | --- | --- |
/// | (default) | ``syslog`` true, ``console`` false |
/// | `-l`, `--log-console` | ``console`` true (syslog stays on) |
/// | `-G`, `--no-syslog` | ``syslog`` false |
/// | `-S N`, `--log-facility=N` | ``facility`` N (LOG_LOCAL*N*) |
/// | `-D`, `--log-detail` | ``detail`` true |
public struct DaemonLogConfiguration: Sendable, Hashable {
    /// Write `lvsd[PID]: message` lines to standard error (`-l`).
    public var console: Bool
    /// Send each line to the syslog socket at ``syslogPath`` (on unless `-G`).
    public var syslog: Bool
    /// `-S N`: 0-7 selects LOG_LOCAL0-7; nil (or anything outside 0-7) selects LOG_DAEMON.
    public var facility: Int?
    /// `-D`: log at debug level, and prefix console lines with a timestamp.
    public var detail: Bool
    /// The syslog tag, as given to `openlog(3)`.
    public var ident: String
    /// The syslog socket; `/dev/log` except in tests.
    public var syslogPath: String

    /// Creates a configuration; the defaults are keepalived's (syslog only, daemon facility, info level).
    public init(
        console: Bool = false,
        syslog: Bool = true,
        facility: Int? = nil,
        detail: Bool = false,
        ident: String = "lvsd",
        syslogPath: String = "/dev/log"
    ) {
        self.console = console
        self.syslog = syslog
        self.facility = facility
        self.detail = detail
        self.ident = ident
        self.syslogPath = syslogPath
    }

    /// The syslog facility code: 16 + N for LOG_LOCALN, else 3 (LOG_DAEMON).
    public var facilityCode: Int {
        guard let facility, (0...7).contains(facility) else { return SyslogPriority.daemonFacility }
        return SyslogPriority.local0Facility + facility
    }

    /// The level loggers start at: debug with ``detail`` (`-D`), info otherwise.
    public var logLevel: Logger.Level { self.detail ? .debug : .info }
}
