/// How the director forwards packets to a real server (`IP_VS_CONN_F_FWD_MASK`).
public enum ForwardingMethod: UInt32, Sendable, Hashable, CaseIterable {
    /// NAT (`-m`).
    case masquerade = 0
    /// Local node.
    case local = 1
    /// IP tunnelling (`-i`).
    case tunnel = 2
    /// Direct routing (`-g`, the ipvsadm default).
    case route = 3
    /// Bypass (never set by ipvsadm).
    case bypass = 4

    /// The word ipvsadm prints in the Forward column (`Masq`, `Local`, `Tunnel`, `Route`); `nil` for bypass.
    public var ipvsadmName: String? {
        switch self {
        case .masquerade: "Masq"
        case .local: "Local"
        case .tunnel: "Tunnel"
        case .route: "Route"
        case .bypass: nil
        }
    }
}

/// The encapsulation of a tunnelled destination.
public enum TunnelType: UInt8, Sendable, Hashable, CaseIterable {
    /// IP in IP (the default).
    case ipip = 0
    /// Generic UDP encapsulation; needs a port.
    case gue = 1
    /// GRE.
    case gre = 2
}

/// Checksum handling of GUE and GRE tunnels.
public enum TunnelChecksum: UInt16, Sendable, Hashable, CaseIterable {
    /// No checksum.
    case none = 0
    /// Checksum.
    case checksum = 1
    /// Remote checksum offload (GUE only).
    case remote = 2
}

/// The tunnel settings of a destination.
public struct TunnelSettings: Hashable, Sendable {
    /// The encapsulation.
    public var type: TunnelType
    /// The UDP port, for GUE.
    public var port: UInt16
    /// Checksum handling.
    public var checksum: TunnelChecksum
    /// Creates tunnel settings.
    public init(type: TunnelType = .ipip, port: UInt16 = 0, checksum: TunnelChecksum = .none) {
        self.type = type
        self.port = port
        self.checksum = checksum
    }
}

/// A real server behind a virtual service.
public struct Destination: Hashable, Sendable {
    /// The real server's address.
    public var address: IPAddress
    /// The real server's port (0 for a firewall-mark service without ports).
    public var port: UInt16
    /// The forwarding method.
    public var forwarding: ForwardingMethod
    /// The scheduling weight, 0 to `Int32.max`.
    public var weight: Int32
    /// Upper connection threshold (0 means none).
    public var upperThreshold: UInt32
    /// Lower connection threshold (0 means none).
    public var lowerThreshold: UInt32
    /// Tunnel settings; meaningful for ``ForwardingMethod/tunnel``.
    public var tunnel: TunnelSettings
    /// Active connections (read only).
    public var activeConnections: UInt32
    /// Inactive connections (read only).
    public var inactiveConnections: UInt32
    /// Persistence templates pointing here (read only).
    public var persistentConnections: UInt32
    /// Counters and rates (read only).
    public var stats: Stats

    /// Creates a destination.
    public init(
        address: IPAddress,
        port: UInt16,
        forwarding: ForwardingMethod = .route,
        weight: Int32 = 1,
        upperThreshold: UInt32 = 0,
        lowerThreshold: UInt32 = 0,
        tunnel: TunnelSettings = TunnelSettings(),
        activeConnections: UInt32 = 0,
        inactiveConnections: UInt32 = 0,
        persistentConnections: UInt32 = 0,
        stats: Stats = Stats()
    ) {
        self.address = address
        self.port = port
        self.forwarding = forwarding
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        self.tunnel = tunnel
        self.activeConnections = activeConnections
        self.inactiveConnections = inactiveConnections
        self.persistentConnections = persistentConnections
        self.stats = stats
    }

    /// What identifies a destination within its service.
    public var key: DestinationKey { DestinationKey(address: address, port: port) }

    /// Whether two descriptions configure the kernel identically (counters ignored).
    public func sameConfiguration(as other: Destination) -> Bool {
        address == other.address && port == other.port && forwarding == other.forwarding && weight == other.weight
            && upperThreshold == other.upperThreshold && lowerThreshold == other.lowerThreshold
            && (forwarding != .tunnel || tunnel == other.tunnel)
    }
}

/// The identity of a destination within a service: address and port.
public struct DestinationKey: Hashable, Sendable, CustomStringConvertible {
    /// The real server's address.
    public var address: IPAddress
    /// The real server's port.
    public var port: UInt16
    /// Creates a key.
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }
    /// `10.0.0.2:80` or `[2001:db8::2]:80`.
    public var description: String { "\(address.bracketed):\(port)" }
}
