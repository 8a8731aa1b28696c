/// The connection timeouts of `ipvsadm --set` (seconds). Zero leaves a value unchanged when setting.
public struct Timeouts: Hashable, Sendable {
    /// TCP established.
    public var tcp: UInt32
    /// TCP after FIN.
    public var tcpFin: UInt32
    /// UDP.
    public var udp: UInt32
    /// Creates timeouts.
    public init(tcp: UInt32, tcpFin: UInt32, udp: UInt32) {
        self.tcp = tcp
        self.tcpFin = tcpFin
        self.udp = udp
    }
}

/// The kernel's IPVS version and connection table size (`IPVS_CMD_GET_INFO`).
public struct Info: Hashable, Sendable {
    /// The version code, e.g. `0x010201`.
    public var versionCode: UInt32
    /// The connection hash table size.
    public var connectionTableSize: UInt32
    /// The version as ipvsadm prints it: `1.2.1`.
    public var version: String { "\(versionCode >> 16).\((versionCode >> 8) & 0xff).\(versionCode & 0xff)" }
    /// Creates an info value.
    public init(versionCode: UInt32, connectionTableSize: UInt32) {
        self.versionCode = versionCode
        self.connectionTableSize = connectionTableSize
    }
}

/// The role of a connection-synchronisation daemon.
public enum SyncDaemonState: UInt32, Sendable, Hashable, CaseIterable {
    /// Sends connection state.
    case master = 1
    /// Receives connection state.
    case backup = 2
}

/// A connection-synchronisation daemon (`--start-daemon`).
public struct SyncDaemon: Hashable, Sendable {
    /// Master or backup.
    public var state: SyncDaemonState
    /// The multicast interface (at most 15 characters).
    public var interface: String
    /// The sync id (0 to 255 in ipvsadm).
    public var syncID: UInt32
    /// Maximum sync message length; `nil` lets the kernel derive it from the MTU.
    public var maxLength: UInt16?
    /// Multicast group; `nil` is the kernel default 224.0.0.81.
    public var group: IPAddress?
    /// UDP port; `nil` is the kernel default 8848.
    public var port: UInt16?
    /// Multicast TTL; `nil` is the kernel default 1.
    public var ttl: UInt8?
    /// Creates a daemon description.
    public init(state: SyncDaemonState, interface: String, syncID: UInt32 = 0, maxLength: UInt16? = nil,
                group: IPAddress? = nil, port: UInt16? = nil, ttl: UInt8? = nil) {
        self.state = state
        self.interface = interface
        self.syncID = syncID
        self.maxLength = maxLength
        self.group = group
        self.port = port
        self.ttl = ttl
    }
}

/// A service together with its destinations, as one entry of a table.
public struct ServiceEntry: Hashable, Sendable {
    /// The service.
    public var service: Service
    /// Its destinations, in kernel order.
    public var destinations: [Destination]
    /// Creates an entry.
    public init(service: Service, destinations: [Destination]) {
        self.service = service
        self.destinations = destinations
    }
}
