/// keepalived's genhash command line: `-s HOST -p PORT -u URL [-S] [-I] [-V VHOST] [-P 1.0|1.0c|1.1]
/// [-t SECONDS] [-m MARK] [-H md5] [-v] [-h] [-r]`, long forms (`--server`, `--port`, `--url`, `--use-ssl`,
/// `--use-sni`, `--use-virtualhost`, `--protocol`, `--timeout`, `--fwmark`, `--hash`, `--verbose`, `--help`,
/// `--release`) included. `lvsd genhash` parses its arguments with ``parse(_:)`` and calls ``run()``.
public struct GenhashOptions: Hashable, Sendable {
    /// What the command line asks for.
    public enum Action: Hashable, Sendable {
        /// Fetch and print the digest.
        case fetch
        /// Print ``GenhashOptions/usage``.
        case help
        /// Print the version.
        case release
    }

    /// The requested action.
    public var action: Action = .fetch
    /// `-s`: the server address.
    public var server: String = ""
    /// `-p`: the port.
    public var port: Int = 0
    /// `-u`: the URL path.
    public var url: String = ""
    /// `-S`: use TLS.
    public var useSSL = false
    /// `-I`: send SNI (the virtual host).
    public var useSNI = false
    /// `-V`: the virtual host (Host header).
    public var virtualHost: String?
    /// `-P`: the HTTP protocol.
    public var httpProtocol: HTTPProtocolVersion = .http10
    /// `-t`: timeout in seconds (default 5).
    public var timeout: Duration = .seconds(5)
    /// `-m`: SO_MARK for the connection.
    public var fwmark: UInt32?
    /// `-v`: verbose (accepted; the output is the same).
    public var verbose = false

    /// Creates default options.
    public init() {}

    /// The usage text.
    public static let usage = """
        Usage: genhash COMMAND [OPTIONS]
        Commands:
           -s server-address -p port -u url
           -S -s server-address -p port -u url
           -h
           -r

        Options:
        Either long or short options are allowed.
           --use-ssl         -S       Use SSL connection to remote server.
           --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
           --server          -s       Use the specified remote server address.
           --port            -p       Use the specified remote server port.
           --url             -u       Use the specified remote server url.
           --use-virtualhost -V       Use the specified virtualhost in GET query.
           --hash            -H       Use the specified hash algorithm.
           --verbose         -v       Use verbose mode output.
           --help            -h       Display this short inlined help screen.
           --release         -r       Display the release number.
           --fwmark          -m       Use the specified FW mark.
           --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                        1.0c means 1.0 with 'Connection: close'
           --timeout         -t       Timeout in seconds

        Supported hash algorithms:
          md5 (default)

        """

    /// Parses the arguments after `genhash`.
    public static func parse(_ arguments: [String]) throws(GenhashUsageError) -> GenhashOptions {
        var options = GenhashOptions()
        var index = 0
        func value(for flag: String) throws(GenhashUsageError) -> String {
            index += 1
            guard index < arguments.count else { throw GenhashUsageError("option \(flag) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "-h", "--help": options.action = .help
            case "-r", "--release": options.action = .release
            case "-v", "--verbose": options.verbose = true
            case "-S", "--use-ssl": options.useSSL = true
            case "-I", "--use-sni": options.useSNI = true
            case "-s", "--server": options.server = try value(for: flag)
            case "-u", "--url": options.url = try value(for: flag)
            case "-V", "--use-virtualhost": options.virtualHost = try value(for: flag)
            case "-p", "--port":
                let text = try value(for: flag)
                guard let port = Int(text), (1...65535).contains(port) else {
                    throw GenhashUsageError("invalid port '\(text)'")
                }
                options.port = port
            case "-P", "--protocol":
                let text = try value(for: flag)
                guard let version = HTTPProtocolVersion(keyword: text) else {
                    throw GenhashUsageError("invalid HTTP protocol '\(text)'")
                }
                options.httpProtocol = version
            case "-t", "--timeout":
                let text = try value(for: flag)
                guard let seconds = Double(text), seconds > 0, seconds < 86_400 else {
                    throw GenhashUsageError("invalid timeout '\(text)'")
                }
                options.timeout = .milliseconds(Int64((seconds * 1000).rounded()))
            case "-m", "--fwmark":
                let text = try value(for: flag)
                guard let mark = UInt32(text) else { throw GenhashUsageError("invalid fwmark '\(text)'") }
                options.fwmark = mark
            case "-H", "--hash":
                let text = try value(for: flag)
                guard text == "md5" else { throw GenhashUsageError("unsupported hash algorithm '\(text)'") }
            default:
                throw GenhashUsageError("unexpected argument '\(flag)'")
            }
            index += 1
        }
        if options.action == .fetch {
            if options.server.isEmpty { throw GenhashUsageError("missing -s server-address") }
            if options.port == 0 { throw GenhashUsageError("missing -p port") }
            if options.url.isEmpty { throw GenhashUsageError("missing -u url") }
        }
        return options
    }

    /// Fetches and returns what to print and the exit status: the digest line and 0, or keepalived's error
    /// text and 1 (keepalived exits 0 on failure, #766; lvsd does not).
    public func run() async -> (output: String, exitStatus: Int32) {
        do {
            let result = try await genhash(
                host: server,
                port: port,
                path: url,
                tls: useSSL,
                virtualHost: virtualHost,
                httpProtocol: httpProtocol,
                useSNI: useSNI,
                timeout: timeout,
                fwmark: fwmark
            )
            return (result.output, 0)
        } catch {
            return (genhashErrorMessage(error) + "\n", 1)
        }
    }
}

/// A genhash command line that cannot be run.
public struct GenhashUsageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
