/// What keepalived's genhash fetches: server, port, URL, TLS, virtual host, protocol, timeout and mark.
/// `lvsd genhash` (LVSDaemon's `GenhashCommand`) fills it from its command line and calls ``run()``.
public struct GenhashOptions: Hashable, Sendable {
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
