/// The address a network checker connects to (keepalived's `connect_ip` / `connect_port`, defaulting to the
/// real server's address).
public struct CheckTarget: Hashable, Sendable, CustomStringConvertible {
    /// A numeric IPv4 or IPv6 address (no brackets). Host names are accepted by the probes but keepalived only
    /// takes addresses.
    public var host: String
    /// TCP port.
    public var port: Int

    /// Creates a target from an address and a port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// True when `host` is an IPv6 literal.
    public var isIPv6: Bool { host.contains(":") }

    /// keepalived's `FMT_RS` form for a TCP service: `[10.0.0.2]:tcp:80`.
    public var description: String { "[\(host)]:tcp:\(port)" }

    /// The HTTP `Host` header value keepalived sends when no virtual host is set: `ip:port` or `[v6]:port`.
    public var hostHeader: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
