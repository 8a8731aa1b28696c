import ArgumentParser
import IPVSKit
import KeepalivedConfig

/// lvsd's command line: the one parser for everything lvsd accepts. Without a sub-command the arguments are the
/// daemon's (``DaemonCommand``, keepalived's spellings exactly); `status`, `reload` and `genhash` are sub-commands.
///
/// The executable parses with `parseAsRoot`; a ``DaemonCommand`` runs (or checks) the daemon through
/// ``DaemonCommand/options()``, a sub-command runs itself (``LvsdSubcommand``).
public struct LvsdCommand: ParsableCommand {
    /// lvsd's version string.
    public static let versionText = "lvsd \(ProductVersion.string) (keepalived.conf compatible)"

    public static let configuration = CommandConfiguration(
        commandName: "lvsd",
        abstract: "The keepalived-compatible LVS director: keepalived.conf in, IPVS table and health checks out.",
        discussion: """
            Without a sub-command lvsd runs the director (in the background unless -n) with the options of \
            'lvsd run'. SIGHUP or 'lvsd reload' re-reads the configuration: one with any error is refused whole \
            and nothing of it applied.
            """,
        subcommands: [DaemonCommand.self, StatusCommand.self, ReloadCommand.self, DrainCommand.self, UndrainCommand.self, WithdrawCommand.self,
                      GenhashCommand.self],
        defaultSubcommand: DaemonCommand.self,
        helpNames: [.short, .long])

    public init() {}

    /// The help a help request (`-h`, `--help`, `help [SUB]`) prints: for `lvsd status --help` or
    /// `lvsd help status`, that sub-command's; at the top, the sub-commands and then the daemon's options (what
    /// keepalived's -h lists).
    public static func helpText(forArguments arguments: [String]) -> String {
        let subcommands: [any ParsableCommand.Type] = [DaemonCommand.self, StatusCommand.self, ReloadCommand.self,
                                                       GenhashCommand.self]
        for argument in arguments where !argument.hasPrefix("-") {
            if let sub = subcommands.first(where: { $0._commandName == argument }) { return helpMessage(for: sub) }
        }
        return helpMessage() + "\n\n" + helpMessage(for: DaemonCommand.self)
    }
}

/// The daemon's options, keepalived's spellings exactly (`-f FILE`, `-fFILE`, `--use-file=FILE`, `-nlD`, ...):
/// `lvsd [OPTIONS]` is `lvsd run [OPTIONS]`.
public struct DaemonCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the director, or check its configuration (-t); the default when no sub-command is given.",
        helpNames: [.short, .long])

    @Option(name: [.customShort("f", allowingJoined: true), .customLong("use-file")],
            help: ArgumentHelp("Use the specified configuration file.", valueName: "FILE"))
    var useFile: String = LvsdOptions.defaultConfigFile

    @Flag(name: [.customShort("n"), .customLong("dont-fork")], help: "Don't fork the daemon process.")
    var dontFork = false

    @Flag(name: [.customShort("l"), .customLong("log-console")], help: "Log messages to the local console.")
    var logConsole = false

    @Flag(name: [.customShort("G"), .customLong("no-syslog")], help: "Don't log via syslog.")
    var noSyslog = false

    @Flag(name: [.customShort("D"), .customLong("log-detail")], help: "Detailed log messages.")
    var logDetail = false

    @Option(name: [.customShort("S", allowingJoined: true), .customLong("log-facility")],
            help: ArgumentHelp("Set syslog facility to LOG_LOCAL[0-7] (default LOG_DAEMON).", valueName: "0-7"))
    var logFacility: String?

    @Flag(name: [.customShort("t"), .customLong("config-test")],
          help: "Check the configuration for obvious errors and exit.")
    var configTest = false

    @Flag(name: [.customShort("P"), .customLong("vrrp")], help: "Only run the VRRP subsystem (no IPVS table, no checkers).")
    var vrrpOnly = false

    @Flag(name: [.customShort("C"), .customLong("check")], help: "Only run the health-checker subsystem (no VRRP).")
    var checkersOnly = false

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")],
            help: ArgumentHelp("Use the specified pidfile (default /run/lvsd.pid).", valueName: "FILE"))
    var pid: String?

    @Option(name: .customLong("metrics-address"),
            help: ArgumentHelp("Serve Prometheus metrics there (overrides lvsd_metrics_address).", valueName: "IP:PORT"))
    var metricsAddress: String?

    @Option(name: .customLong("control-socket"),
            help: ArgumentHelp("The socket 'lvsd status' and 'lvsd reload' use.", valueName: "PATH"))
    var controlSocket: String = LvsdOptions.defaultControlSocket

    @Flag(name: [.customShort("v"), .customLong("version")], help: "Display the version number.")
    public var version = false

    public init() {}

    public func validate() throws {
        do throws(CommandLineError) { _ = try options() } catch { throw ValidationError(error.description) }
    }

    /// The options this command line gives.
    public func options() throws(CommandLineError) -> LvsdOptions {
        var o = LvsdOptions()
        guard !useFile.isEmpty else { throw CommandLineError("option '-f' requires a file name") }
        o.configFile = useFile
        o.dontFork = dontFork
        o.logConsole = logConsole
        o.noSyslog = noSyslog
        o.logDetail = logDetail
        o.logFacility = try logFacility.map { (text) throws(CommandLineError) -> Int? in try LvsdOptions.facility(text) } ?? nil
        o.configTest = configTest
        // keepalived runs both subsystems when given both flags, as with neither.
        o.subsystems = vrrpOnly == checkersOnly ? .all : (vrrpOnly ? .vrrp : .checkers)
        o.pidFile = pid
        if let text = metricsAddress {
            guard let address = MetricsAddress(text) else {
                throw CommandLineError("invalid --metrics-address '\(text)': expected IP:PORT")
            }
            o.metricsAddress = address
        }
        o.controlSocket = try LvsdOptions.socketPath(controlSocket)
        return o
    }
}
