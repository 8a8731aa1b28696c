import ArgumentParser
import HealthCheck

/// `lvsd genhash`: keepalived's genhash, the digest HTTP_GET and SSL_GET compare (`-s HOST -p PORT -u URL [-S]
/// [-I] [-V VHOST] [-P 1.0|1.0c|1.1] [-t SECONDS] [-m MARK] [-H md5] [-v] [-r]`). Unlike keepalived's (#766) it
/// exits 1 when the page cannot be fetched.
public struct GenhashCommand: AsyncParsableCommand, LvsdSubcommand {
    public static let configuration = CommandConfiguration(
        commandName: "genhash", abstract: "Print the MD5 digest of a web page, as HTTP_GET/SSL_GET's 'digest'.")

    @Option(name: [.customShort("s"), .customLong("server")], help: "The remote server address.")
    var server: String?
    @Option(name: [.customShort("p"), .customLong("port")], help: "The remote server port.")
    var port: String?
    @Option(name: [.customShort("u"), .customLong("url")], help: "The URL path.")
    var url: String?
    @Flag(name: [.customShort("S"), .customLong("use-ssl")], help: "Use TLS.")
    var useSSL = false
    @Flag(name: [.customShort("I"), .customLong("use-sni")], help: "Send SNI (the virtual host, see -V).")
    var useSNI = false
    @Option(name: [.customShort("V"), .customLong("use-virtualhost")], help: "The virtual host (Host header).")
    var virtualHost: String?
    @Option(name: [.customShort("P"), .customLong("protocol")], help: "HTTP protocol: 1.0, 1.0c (1.0 with Connection: close) or 1.1.")
    var httpProtocol: String?
    @Option(name: [.customShort("t"), .customLong("timeout")], help: "Timeout in seconds (default 5).")
    var timeout: String?
    @Option(name: [.customShort("m"), .customLong("fwmark")], help: "SO_MARK for the connection.")
    var fwmark: String?
    @Option(name: [.customShort("H"), .customLong("hash")], help: "The hash algorithm (md5 only).")
    var hash: String?
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Verbose (accepted; the output is the same).")
    var verbose = false
    @Flag(name: [.customShort("r"), .customLong("release")], help: "Display the release number.")
    var release = false

    public init() {}

    public func validate() throws {
        do throws(CommandLineError) { _ = try options() } catch { throw ValidationError(error.description) }
    }

    /// The genhash options this command line gives (nil for `-r`).
    public func options() throws(CommandLineError) -> GenhashOptions? {
        if release { return nil }
        var o = GenhashOptions()
        o.verbose = verbose
        o.useSSL = useSSL
        o.useSNI = useSNI
        o.virtualHost = virtualHost
        if let hash, hash != "md5" { throw CommandLineError("unsupported hash algorithm '\(hash)'") }
        guard let server, !server.isEmpty else { throw CommandLineError("missing -s server-address") }
        o.server = server
        guard let port else { throw CommandLineError("missing -p port") }
        guard let n = Int(port), (1...65535).contains(n) else { throw CommandLineError("invalid port '\(port)'") }
        o.port = n
        guard let url, !url.isEmpty else { throw CommandLineError("missing -u url") }
        o.url = url
        if let text = httpProtocol {
            guard let version = HTTPProtocolVersion(keyword: text) else {
                throw CommandLineError("invalid HTTP protocol '\(text)'")
            }
            o.httpProtocol = version
        }
        if let text = timeout {
            guard let seconds = Double(text), seconds > 0, seconds < 86_400 else {
                throw CommandLineError("invalid timeout '\(text)'")
            }
            o.timeout = .milliseconds(Int64((seconds * 1000).rounded()))
        }
        if let text = fwmark {
            guard let mark = UInt32(text) else { throw CommandLineError("invalid fwmark '\(text)'") }
            o.fwmark = mark
        }
        return o
    }

    public func execute() async throws { try await run() }

    public func run() async throws {
        guard let options = try options() else {
            StandardStreams.out(LvsdCommand.versionText + "\n")
            return
        }
        let (output, status) = await options.run()
        if status == 0 {
            StandardStreams.out(output)
        } else {
            StandardStreams.errorLine(output.hasSuffix("\n") ? String(output.dropLast()) : output)
            throw ExitCode(status)
        }
    }
}
