import VRRP

/// A 48-bit Ethernet address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The six bytes, first on the wire first.
    public var bytes: [UInt8]

    /// Creates an address from six bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses `aa:bb:cc:dd:ee:ff`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard p.count <= 2, let b = UInt8(p, radix: 16) else { return nil }
            out.append(b)
        }
        bytes = out
    }

    /// ff:ff:ff:ff:ff:ff.
    public static let broadcast = MACAddress(bytes: [UInt8](repeating: 0xff, count: 6))!
    /// 33:33:00:00:00:01, the Ethernet address of ff02::1 (all nodes).
    public static let allNodes = MACAddress(bytes: [0x33, 0x33, 0, 0, 0, 1])!

    public var description: String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}

/// An interface as rtnetlink reports it (`ip link show NAME`).
public struct NetworkInterface: Hashable, Sendable, CustomStringConvertible {
    /// The name, `eth0`.
    public var name: String
    /// The interface index.
    public var index: Int32
    /// The `IFF_*` flags (`ifi_flags`).
    public var flags: UInt32
    /// The hardware address; `nil` for interfaces without one (loopback has zeros, tunnels none).
    public var mac: MACAddress?

    /// Creates a description of an interface.
    public init(name: String, index: Int32, flags: UInt32, mac: MACAddress?) {
        self.name = name
        self.index = index
        self.flags = flags
        self.mac = mac
    }

    /// `IFF_UP`: administratively up.
    public var isUp: Bool { flags & InterfaceFlags.up != 0 }
    /// `IFF_RUNNING`: operationally up (carrier).
    public var isRunning: Bool { flags & InterfaceFlags.running != 0 }
    /// `IFF_NOARP`: no ARP (and, as keepalived treats it, no gratuitous ARP or NA).
    public var isNoARP: Bool { flags & InterfaceFlags.noARP != 0 }

    /// `eth0 (index 2)`, as errors name an interface.
    public var description: String { "\(name) (index \(index))" }
}

/// The `IFF_*` bits of `<net/if.h>` this library reads.
public enum InterfaceFlags {
    /// IFF_UP.
    public static let up: UInt32 = 0x1
    /// IFF_LOOPBACK.
    public static let loopback: UInt32 = 0x8
    /// IFF_RUNNING.
    public static let running: UInt32 = 0x40
    /// IFF_NOARP.
    public static let noARP: UInt32 = 0x80
    /// IFF_LOWER_UP.
    public static let lowerUp: UInt32 = 0x10000
}

/// An address scope (`ifa_scope`, `rtm_scope`), as `ip` spells them.
public struct AddressScope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte the kernel uses.
    public var rawValue: UInt8
    /// Creates a scope from its byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RT_SCOPE_UNIVERSE (0), `global`.
    public static let global = AddressScope(rawValue: 0)
    /// RT_SCOPE_SITE (200), `site`.
    public static let site = AddressScope(rawValue: 200)
    /// RT_SCOPE_LINK (253), `link`.
    public static let link = AddressScope(rawValue: 253)
    /// RT_SCOPE_HOST (254), `host`.
    public static let host = AddressScope(rawValue: 254)
    /// RT_SCOPE_NOWHERE (255), `nowhere`.
    public static let nowhere = AddressScope(rawValue: 255)

    /// keepalived's and `ip`'s names: `global`, `site`, `link`, `host`, `nowhere`, or a number.
    public init?(_ name: String) {
        switch name {
        case "global", "universe": self = .global
        case "site": self = .site
        case "link": self = .link
        case "host": self = .host
        case "nowhere": self = .nowhere
        default:
            guard let n = UInt8(name) else { return nil }
            self.init(rawValue: n)
        }
    }

    public var description: String {
        switch self {
        case .global: "global"
        case .site: "site"
        case .link: "link"
        case .host: "host"
        case .nowhere: "nowhere"
        default: "\(rawValue)"
        }
    }
}

/// `IFA_F_*` address flags.
public enum AddressFlags {
    /// IFA_F_SECONDARY (0x01).
    public static let secondary: UInt32 = 0x01
    /// IFA_F_NODAD (0x02): no duplicate address detection, usable at once (keepalived's IPv6 VIPs).
    public static let noDAD: UInt32 = 0x02
    /// IFA_F_DEPRECATED (0x20).
    public static let deprecated: UInt32 = 0x20
    /// IFA_F_TENTATIVE (0x40).
    public static let tentative: UInt32 = 0x40
    /// IFA_F_PERMANENT (0x80).
    public static let permanent: UInt32 = 0x80
    /// IFA_F_NOPREFIXROUTE (0x200).
    public static let noPrefixRoute: UInt32 = 0x200
}

/// An address on an interface: a `virtual_ipaddress` entry to add or delete, or one that a listing or the watcher
/// reports.
///
/// ```swift
/// var vip = InterfaceAddress(VRRPAddress("10.0.0.100")!, prefixLength: 24)
/// vip.label = "eth0:vip"
/// try netlink.addAddress(vip, to: eth0)   // .added, or .alreadyPresent (EEXIST)
/// ```
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address (IFA_LOCAL).
    public var address: VRRPAddress
    /// The prefix length: default /32 or /128, as keepalived's.
    public var prefixLength: UInt8
    /// IPv4 broadcast (`brd`), IFA_BROADCAST.
    public var broadcast: VRRPAddress?
    /// IPv4 label (`label eth0:vip`), IFA_LABEL; at most 15 bytes.
    public var label: String?
    /// The scope; default global.
    public var scope: AddressScope
    /// `IFA_F_*` flags to set: keepalived sets NODAD on IPv6 VIPs (the default here too).
    public var flags: UInt32
    /// The preferred lifetime in seconds; `nil` is forever. keepalived gives a /128 IPv6 VIP 0 (deprecated: never
    /// picked as a source address). The valid lifetime stays forever.
    public var preferredLifetime: UInt32?
    /// The interface index, when the address came from a listing or an event.
    public var interfaceIndex: Int32?

    /// An address with keepalived's defaults: /32 or /128 unless given, global scope, NODAD for IPv6, and for an
    /// IPv6 /128 a preferred lifetime of 0.
    public init(_ address: VRRPAddress, prefixLength: UInt8? = nil, broadcast: VRRPAddress? = nil,
                label: String? = nil, scope: AddressScope = .global) {
        self.address = address
        let full: UInt8 = address.family == .ipv4 ? 32 : 128
        self.prefixLength = prefixLength ?? full
        self.broadcast = broadcast
        self.label = label
        self.scope = scope
        self.flags = address.family == .ipv6 ? AddressFlags.noDAD : 0
        self.preferredLifetime = address.family == .ipv6 && self.prefixLength == 128 ? 0 : nil
        self.interfaceIndex = nil
    }

    /// What the kernel would refuse or misread, checked before a request is made: the prefix length against the
    /// family, a broadcast of the other family or on IPv6, a label on IPv6 or longer than 15 bytes.
    public func validate() -> String? {
        let full: UInt8 = address.family == .ipv4 ? 32 : 128
        if prefixLength > full { return "prefix length \(prefixLength) is longer than \(full)" }
        if let broadcast {
            if address.family == .ipv6 { return "IPv6 has no broadcast address" }
            if broadcast.family != .ipv4 { return "broadcast \(broadcast) is not IPv4" }
        }
        if let label {
            if address.family == .ipv6 { return "IPv6 addresses have no label" }
            if label.utf8.count > 15 { return "label \(label) is longer than 15 bytes" }
            if label.isEmpty { return "empty label" }
        }
        return nil
    }

    /// `ip addr` syntax: `10.0.0.100/24 brd 10.0.0.255 scope global label eth0:vip`.
    public var description: String {
        var s = "\(address)/\(prefixLength)"
        if let broadcast { s += " brd \(broadcast)" }
        if scope != .global { s += " scope \(scope)" }
        if let label { s += " label \(label)" }
        if flags & AddressFlags.noDAD != 0 { s += " nodad" }
        return s
    }
}

/// The outcome of adding an address or route.
public enum AddChange: Hashable, Sendable {
    /// It was added.
    case added
    /// It was there already (EEXIST): harmless, as keepalived treats it.
    case alreadyPresent
}

/// The outcome of deleting an address or route.
public enum DeleteChange: Hashable, Sendable {
    /// It was deleted.
    case deleted
    /// It was not there (EADDRNOTAVAIL for an address, ESRCH for a route): harmless.
    case notPresent
}

/// A route type (`rtm_type`).
public struct RouteType: RawRepresentable, Hashable, Sendable {
    /// The byte the kernel uses.
    public var rawValue: UInt8
    /// Creates a type from its byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// RTN_UNICAST.
    public static let unicast = RouteType(rawValue: 1)
    /// RTN_LOCAL.
    public static let local = RouteType(rawValue: 2)
    /// RTN_BLACKHOLE (`blackhole`).
    public static let blackhole = RouteType(rawValue: 6)
    /// RTN_UNREACHABLE (`unreachable`).
    public static let unreachable = RouteType(rawValue: 7)
    /// RTN_PROHIBIT (`prohibit`).
    public static let prohibit = RouteType(rawValue: 8)
}

/// A route (`virtual_routes` / `static_routes` entry): `to 192.168.5.0/24 via 10.0.0.254 dev eth0 src 10.0.0.100
/// metric 10 table 100`.
public struct Route: Hashable, Sendable, CustomStringConvertible {
    /// The destination (`to`).
    public var destination: VRRPAddress
    /// Its prefix length; default /32 or /128.
    public var prefixLength: UInt8
    /// The gateway (`via` / `gw`).
    public var gateway: VRRPAddress?
    /// The output interface (`dev`).
    public var interface: NetworkInterface?
    /// The preferred source (`src`), RTA_PREFSRC.
    public var preferredSource: VRRPAddress?
    /// The metric (`metric` / `preference`), RTA_PRIORITY.
    public var metric: UInt32?
    /// The table (`table`); default main (254).
    public var table: UInt32
    /// The scope; `nil` lets libnl choose as `ip route` does (link without a gateway, global with one).
    public var scope: AddressScope?
    /// The protocol (`proto`); default RTPROT_KEEPALIVED (18), as keepalived tags its routes.
    public var proto: UInt8
    /// The type; default unicast.
    public var type: RouteType

    /// The rtnetlink protocol number keepalived tags its routes with.
    public static let keepalivedProtocol: UInt8 = 18
    /// The main routing table.
    public static let mainTable: UInt32 = 254

    /// Creates a route.
    public init(to destination: VRRPAddress, prefixLength: UInt8? = nil, via gateway: VRRPAddress? = nil,
                dev interface: NetworkInterface? = nil, src preferredSource: VRRPAddress? = nil, metric: UInt32? = nil,
                table: UInt32 = Route.mainTable, scope: AddressScope? = nil, proto: UInt8 = Route.keepalivedProtocol,
                type: RouteType = .unicast) {
        self.destination = destination
        self.prefixLength = prefixLength ?? (destination.family == .ipv4 ? 32 : 128)
        self.gateway = gateway
        self.interface = interface
        self.preferredSource = preferredSource
        self.metric = metric
        self.table = table
        self.scope = scope
        self.proto = proto
        self.type = type
    }

    /// What the kernel would refuse: a prefix too long, addresses of mixed families, a unicast route with neither
    /// a gateway nor an interface.
    public func validate() -> String? {
        let family = destination.family
        let full: UInt8 = family == .ipv4 ? 32 : 128
        if prefixLength > full { return "prefix length \(prefixLength) is longer than \(full)" }
        if let gateway, gateway.family != family { return "gateway \(gateway) is not of the destination's family" }
        if let preferredSource, preferredSource.family != family {
            return "source \(preferredSource) is not of the destination's family"
        }
        if type == .unicast, gateway == nil, interface == nil { return "a unicast route needs via or dev" }
        return nil
    }

    /// `ip route` syntax.
    public var description: String {
        var s = ""
        switch type {
        case .blackhole: s = "blackhole "
        case .unreachable: s = "unreachable "
        case .prohibit: s = "prohibit "
        default: break
        }
        s += "\(destination)/\(prefixLength)"
        if let gateway { s += " via \(gateway)" }
        if let interface { s += " dev \(interface.name)" }
        if let preferredSource { s += " src \(preferredSource)" }
        if let metric { s += " metric \(metric)" }
        if table != Route.mainTable { s += " table \(table)" }
        if let scope { s += " scope \(scope)" }
        s += " proto \(proto)"
        return s
    }
}
