/// lvsd's command-line options, as keepalived's where they apply.
public struct LvsdOptions: Hashable, Sendable {
    /// keepalived's default configuration file.
    public static let defaultConfigFile = "/etc/keepalived/keepalived.conf"

    /// `-f/--use-file FILE`.
    public var configFile: String = LvsdOptions.defaultConfigFile
    /// `-n/--dont-fork`: stay in the foreground.
    public var dontFork = false
    /// `-l/--log-console`: log to the console (stderr) as well.
    public var logConsole = false
    /// `-D/--log-detail`: detailed logging.
    public var logDetail = false
    /// `-S/--log-facility N`: syslog facility LOCAL*N* (0-7); `nil` means the daemon facility.
    public var logFacility: Int?
    /// `-t/--config-test`: check the configuration and exit.
    public var configTest = false
    /// `-p/--pid FILE`.
    public var pidFile: String?
    /// `--metrics-address IP:PORT` (lvsd extension; overrides `lvsd_metrics_address`).
    public var metricsAddress: MetricsAddress?
    /// `--control-socket PATH` (lvsd extension): the root-only socket `lvsd status` talks to.
    public var controlSocket: String = "/run/lvsd.sock"

    /// Defaults: `/etc/keepalived/keepalived.conf`, daemonise, syslog.
    public init() {}
}

/// What the command line asks for.
public enum LvsdCommand: Hashable, Sendable {
    /// Run (or, with ``LvsdOptions/configTest``, check the configuration).
    case run(LvsdOptions)
    /// `-h/--help`.
    case help
    /// `-v/--version`.
    case version
    /// A sub-command (`lvsd genhash ...`, `lvsd status`): its name and the remaining arguments, for other
    /// components to handle.
    case subcommand(String, [String])
}

/// A command-line error; its description is the message to print.
public struct CommandLineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Parses lvsd's arguments (getopt_long style: `-nl`, `-fFILE`, `-f FILE`, `--use-file=FILE`, `--use-file FILE`).
public enum LvsdCommandLine {
    /// Words that start a sub-command when they are the first argument.
    public static let subcommands: Set<String> = ["genhash", "status"]

    /// The usage text for `-h`.
    public static let usage = """
        Usage: lvsd [OPTION...]
          -f, --use-file=FILE          use the specified configuration file
                                       (default \(LvsdOptions.defaultConfigFile))
          -n, --dont-fork              don't fork the daemon process
          -l, --log-console            log messages to the local console
          -D, --log-detail             detailed log messages
          -S, --log-facility=[0-7]     set syslog facility to LOG_LOCAL[0-7]
          -t, --config-test            check the configuration for obvious errors and exit
          -p, --pid=FILE               use the specified pidfile
              --metrics-address=IP:PORT  serve Prometheus metrics there (overrides lvsd_metrics_address)
              --control-socket=PATH      the socket 'lvsd status' uses (default /run/lvsd.sock)
          -v, --version                display the version number
          -h, --help                   display this help message

        Sub-commands:
          lvsd genhash -s HOST -p PORT -u URL [-S] [-V VHOST]
          lvsd status

        """

    /// Parses `arguments` (without the program name).
    public static func parse(_ arguments: [String]) throws(CommandLineError) -> LvsdCommand {
        if let first = arguments.first, subcommands.contains(first) {
            return .subcommand(first, Array(arguments.dropFirst()))
        }
        var options = LvsdOptions()
        var index = 0
        func value(for option: String, inline: String?) throws(CommandLineError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw CommandLineError("option '\(option)' requires an argument") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                if index + 1 < arguments.count {
                    throw CommandLineError("unexpected argument '\(arguments[index + 1])'")
                }
                break
            }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name: String
                var inline: String?
                if let eq = body.firstIndex(of: "=") {
                    name = String(body[..<eq])
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = String(body)
                }
                switch name {
                case "use-file": options.configFile = try value(for: argument, inline: inline)
                case "dont-fork": options.dontFork = true
                case "log-console": options.logConsole = true
                case "log-detail": options.logDetail = true
                case "log-facility": options.logFacility = try facility(try value(for: argument, inline: inline))
                case "config-test": options.configTest = true
                case "pid": options.pidFile = try value(for: argument, inline: inline)
                case "metrics-address":
                    let text = try value(for: argument, inline: inline)
                    guard let address = MetricsAddress(text) else {
                        throw CommandLineError("invalid --metrics-address '\(text)': expected IP:PORT")
                    }
                    options.metricsAddress = address
                case "control-socket":
                    let path = try value(for: argument, inline: inline)
                    guard path.hasPrefix("/"), path.utf8.count < 108 else {
                        throw CommandLineError("invalid --control-socket '\(path)': expected an absolute path under 108 bytes")
                    }
                    options.controlSocket = path
                case "version": return .version
                case "help": return .help
                default: throw CommandLineError("unrecognized option '--\(name)'")
                }
                if inline != nil && ["dont-fork", "log-console", "log-detail", "config-test"].contains(name) {
                    throw CommandLineError("option '--\(name)' doesn't allow an argument")
                }
            } else if argument.hasPrefix("-") && argument.count > 1 {
                var letters = Array(argument.dropFirst())
                while !letters.isEmpty {
                    let letter = letters.removeFirst()
                    let rest = letters.isEmpty ? nil : String(letters)
                    switch letter {
                    case "n": options.dontFork = true
                    case "l": options.logConsole = true
                    case "D": options.logDetail = true
                    case "t": options.configTest = true
                    case "v": return .version
                    case "h": return .help
                    case "f", "S", "p":
                        let text = try value(for: "-\(letter)", inline: rest)
                        letters = []
                        switch letter {
                        case "f": options.configFile = text
                        case "S": options.logFacility = try facility(text)
                        default: options.pidFile = text
                        }
                    default:
                        throw CommandLineError("invalid option -- '\(letter)'")
                    }
                }
            } else {
                throw CommandLineError("unexpected argument '\(argument)'")
            }
            index += 1
        }
        if options.configFile.isEmpty { throw CommandLineError("option '-f' requires a file name") }
        return .run(options)
    }

    private static func facility(_ text: String) throws(CommandLineError) -> Int {
        guard let n = Int(text), (0...7).contains(n) else {
            throw CommandLineError("invalid log facility '\(text)': expected 0 to 7 (LOG_LOCAL0-7)")
        }
        return n
    }
}

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
        let result = KeepalivedConfigParser.parse(file: path, options: ParseOptions(strict: true))
        let messages = result.diagnostics.map { $0.formatted(program: program) }
        return Outcome(messages: messages, exitStatus: result.hasErrors ? 1 : 0, result: result)
    }
}
