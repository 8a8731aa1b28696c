import KeepalivedConfig

/// What lvsd runs with: keepalived's options where they apply, plus lvsd's own.
public struct LvsdOptions: Hashable, Sendable {
    /// keepalived's default configuration file.
    public static let defaultConfigFile = "/etc/keepalived/keepalived.conf"
    /// The control socket `lvsd status` and `lvsd reload` talk to unless told otherwise.
    public static let defaultControlSocket = "/run/lvsd.sock"

    /// `-f/--use-file FILE`.
    public var configFile: String = LvsdOptions.defaultConfigFile
    /// `-n/--dont-fork`: stay in the foreground.
    public var dontFork = false
    /// `-l/--log-console`: log to the console (stderr) too.
    public var logConsole = false
    /// `-G/--no-syslog`: do not log to syslog.
    public var noSyslog = false
    /// `-D/--log-detail`: detailed logging (debug level).
    public var logDetail = false
    /// `-S/--log-facility N`: syslog facility LOCAL*N* (0-7); `nil` means the daemon facility.
    public var logFacility: Int?
    /// `-t/--config-test`: check the configuration and exit.
    public var configTest = false
    /// `-P/--vrrp` (VRRP only) and `-C/--check` (checkers only).
    public var subsystems: Subsystems = .all
    /// `-p/--pid FILE`; `nil` means `/run/lvsd.pid`.
    public var pidFile: String?
    /// `--metrics-address IP:PORT` (lvsd extension; overrides `lvsd_metrics_address`).
    public var metricsAddress: MetricsAddress?
    /// `--control-socket PATH` (lvsd extension): the root-only socket `lvsd status` and `lvsd reload` talk to.
    public var controlSocket: String = LvsdOptions.defaultControlSocket

    /// Defaults: `/etc/keepalived/keepalived.conf`, daemonise, syslog.
    public init() {}
}

/// Which of keepalived's subsystems run: `-P` VRRP only, `-C` the health checkers (and the IPVS table) only.
public enum Subsystems: Hashable, Sendable {
    case all
    case vrrp
    case checkers

    /// The part of `configuration` this choice runs: `-P` drops the virtual servers, `-C` the VRRP part.
    public func restrict(_ configuration: KeepalivedConfiguration) -> KeepalivedConfiguration {
        var c = configuration
        switch self {
        case .all: break
        case .vrrp:
            c.virtualServers = []
            c.virtualServerGroups = []
        case .checkers:
            c.vrrp = VRRPConfiguration()
            c.globalDefinitions.lvsSyncDaemon = nil   // the sync daemon belongs to the VRRP side, as keepalived's
        }
        return c
    }
}

/// A command line that cannot be run; its description is the message to print.
public struct CommandLineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

extension LvsdOptions {
    /// Parses `-S`'s value as keepalived does: `0`-`7`, `local0`-`local7`, or `daemon` (nil).
    static func facility(_ text: String) throws(CommandLineError) -> Int? {
        if text == "daemon" { return nil }
        let digits = text.hasPrefix("local") ? String(text.dropFirst(5)) : text
        guard digits.count == 1, let n = Int(digits), (0...7).contains(n) else {
            throw CommandLineError("invalid log facility '\(text)': expected 0 to 7 (LOG_LOCAL0-7), local0-7 or daemon")
        }
        return n
    }

    /// Checks `--control-socket`'s value: an absolute path that fits a Unix socket address.
    static func socketPath(_ path: String, option: String = "--control-socket") throws(CommandLineError) -> String {
        guard path.hasPrefix("/"), path.utf8.count < 108 else {
            throw CommandLineError("invalid \(option) '\(path)': expected an absolute path under 108 bytes")
        }
        return path
    }
}
