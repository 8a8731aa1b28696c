import IPVSKit

/// One health checker of a real server, as far as the director cares: its identity and whether it starts down.
public struct CheckerSpec: Hashable, Sendable {
    /// The caller's identity for the checker (see ``CheckerID``).
    public var id: CheckerID
    /// `alpha` on the checker: it starts down until its first success. `nil` inherits the real server's setting.
    public var alpha: Bool?
    /// Creates a checker description.
    public init(id: CheckerID, alpha: Bool? = nil) {
        self.id = id
        self.alpha = alpha
    }
}

/// A configured real server (`real_server IP PORT { ... }`).
public struct RealServerSpec: Hashable, Sendable {
    /// The address.
    public var address: IPAddress
    /// The port; for DR and TUN it is forced to the virtual server's port (0 for a firewall mark), as keepalived does.
    public var port: UInt16
    /// The forwarding method (`lvs_method`).
    public var forwarding: ForwardingMethod
    /// Tunnel settings, for ``ForwardingMethod/tunnel``.
    public var tunnel: TunnelSettings
    /// The configured weight (`weight`), 0 to `Int32.max`.
    public var weight: Int32
    /// `uthreshold` (0: none).
    public var upperThreshold: UInt32
    /// `lthreshold` (0: none).
    public var lowerThreshold: UInt32
    /// `inhibit_on_failure`: a failed server stays in the table with weight 0. `nil` inherits the virtual server's.
    public var inhibitOnFailure: Bool?
    /// `alpha`: checkers start down. `nil` inherits the virtual server's.
    public var alpha: Bool?
    /// The checkers; a real server with none is always alive.
    public var checkers: [CheckerSpec]
    /// `notify_up`.
    public var notifyUp: ScriptCommand?
    /// `notify_down`.
    public var notifyDown: ScriptCommand?

    /// Creates a real server description.
    public init(
        address: IPAddress,
        port: UInt16,
        forwarding: ForwardingMethod = .masquerade,
        tunnel: TunnelSettings = TunnelSettings(),
        weight: Int32 = 1,
        upperThreshold: UInt32 = 0,
        lowerThreshold: UInt32 = 0,
        inhibitOnFailure: Bool? = nil,
        alpha: Bool? = nil,
        checkers: [CheckerSpec] = [],
        notifyUp: ScriptCommand? = nil,
        notifyDown: ScriptCommand? = nil
    ) {
        self.address = address
        self.port = port
        self.forwarding = forwarding
        self.tunnel = tunnel
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        self.inhibitOnFailure = inhibitOnFailure
        self.alpha = alpha
        self.checkers = checkers
        self.notifyUp = notifyUp
        self.notifyDown = notifyDown
    }

    /// Address and port.
    public var key: DestinationKey { DestinationKey(address: address, port: port) }

    /// The kernel destination for this server at `weight`.
    func destination(weight: Int32) -> Destination {
        Destination(address: address, port: port, forwarding: forwarding, weight: weight,
                    upperThreshold: upperThreshold, lowerThreshold: lowerThreshold, tunnel: tunnel)
    }
}

/// `sorry_server IP PORT` with `sorry_server_lvs_method` and `sorry_server_inhibit`.
public struct SorryServerSpec: Hashable, Sendable {
    /// The address.
    public var address: IPAddress
    /// The port (forced like a real server's for DR and TUN).
    public var port: UInt16
    /// `sorry_server_lvs_method`; `nil` uses the virtual server's default method.
    public var forwarding: ForwardingMethod?
    /// Tunnel settings, for ``ForwardingMethod/tunnel``.
    public var tunnel: TunnelSettings
    /// The weight it gets while in service (keepalived: the virtual server's `weight`, default 1).
    public var weight: Int32
    /// `sorry_server_inhibit`: kept in the table at weight 0 while not needed.
    public var inhibit: Bool

    /// Creates a sorry server description.
    public init(address: IPAddress, port: UInt16, forwarding: ForwardingMethod? = nil,
                tunnel: TunnelSettings = TunnelSettings(), weight: Int32 = 1, inhibit: Bool = false) {
        self.address = address
        self.port = port
        self.forwarding = forwarding
        self.tunnel = tunnel
        self.weight = weight
        self.inhibit = inhibit
    }

    /// Address and port.
    public var key: DestinationKey { DestinationKey(address: address, port: port) }
}
