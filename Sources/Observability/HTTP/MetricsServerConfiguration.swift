/// Where and how ``MetricsServer`` listens.
public struct MetricsServerConfiguration: Sendable, Hashable {
    /// The IP address to listen on: IPv4 (`127.0.0.1`, `0.0.0.0`) or IPv6 (`::1`, `::`), brackets optional.
    public var host: String
    /// The TCP port; 0 picks a free one (see ``MetricsServer/localAddress``).
    public var port: Int
    /// A connection with no bytes read for this long is closed.
    public var idleTimeout: Duration
    /// The largest request accepted, head and body together, in bytes; larger ones get `431` and are closed.
    public var maxRequestBytes: Int
    /// How long the liveness closure may take before `/healthz` answers `503`.
    public var livenessTimeout: Duration
    /// How long ``MetricsServer/stop()`` waits for requests in progress before closing their connections.
    public var shutdownGracePeriod: Duration

    /// The port Prometheus's exporter list has no entry for and keepalived-exporter does not use; pick freely.
    public static let defaultPort = 9_595

    /// Creates a configuration.
    public init(
        host: String,
        port: Int = MetricsServerConfiguration.defaultPort,
        idleTimeout: Duration = .seconds(30),
        maxRequestBytes: Int = 16 * 1024,
        livenessTimeout: Duration = .seconds(5),
        shutdownGracePeriod: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.maxRequestBytes = maxRequestBytes
        self.livenessTimeout = livenessTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
    }

    /// Parses a listen address as an operator writes it: `127.0.0.1:9595`, `[::1]:9595`, `:9595` (all IPv4
    /// addresses), `9595` (the same), or an address without a port (``defaultPort``).
    ///
    /// - Throws: ``MetricsServerError`` with ``MetricsServerError/Kind/invalidListenAddress(_:)`` when the port
    ///   is not a number from 0 to 65535, or an IPv6 address lacks its closing bracket.
    public init(listenAddress text: String) throws(MetricsServerError) {
        let invalid = MetricsServerError(kind: .invalidListenAddress(text))
        guard !text.isEmpty else { throw invalid }
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw invalid }
                portText = rest.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count > 1 {
            host = Substring(text)  // a bare IPv6 address, no port
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else if text.allSatisfy(\.isNumber), !text.isEmpty {
            host = ""
            portText = Substring(text)
        } else {
            host = Substring(text)
        }
        if host.isEmpty { host = "0.0.0.0" }
        var port = Self.defaultPort
        if let portText {
            guard let value = Int(portText), (0...65535).contains(value) else { throw invalid }
            port = value
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { throw invalid }
        self.init(host: String(host), port: port)
    }
}
