/// A `TCP_CHECK`: success is a completed TCP handshake, which is then closed.
public struct TCPCheck: Hashable, Sendable {
    /// Where to connect (`connect_ip`/`connect_port`, default the real server).
    public var target: CheckTarget
    /// Optional local address to bind before connecting (`bindto`).
    public var bindAddress: String?
    /// Optional local port to bind (`bind_port`).
    public var bindPort: Int?
    /// Bound on the connect (`connect_timeout`, default 5 s).
    public var connectTimeout: Duration
    /// `fwmark`: `SO_MARK` on the probe socket (needs CAP_NET_ADMIN), e.g. to route checks through a tunnel.
    public var fwmark: UInt32?

    /// Creates a TCP check with keepalived's default `connect_timeout` of 5 s.
    public init(
        target: CheckTarget,
        bindAddress: String? = nil,
        bindPort: Int? = nil,
        connectTimeout: Duration = .seconds(5),
        fwmark: UInt32? = nil
    ) {
        self.fwmark = fwmark
        self.target = target
        self.bindAddress = bindAddress
        self.bindPort = bindPort
        self.connectTimeout = connectTimeout
    }
}
