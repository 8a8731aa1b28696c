import IPVSKit

/// The LVS part of a keepalived.conf, after includes, defaults, inheritance and the post-parse rules.
public struct KeepalivedConfiguration: Sendable {
    /// `global_defs`.
    public var globalDefinitions: GlobalDefinitions
    /// `virtual_server_group` blocks, in file order.
    public var virtualServerGroups: [VirtualServerGroup]
    /// `virtual_server` blocks that survived validation, in file order.
    public var virtualServers: [VirtualServer]
    /// The global `SSL { }` context for SSL_GET, if given.
    public var ssl: SSLContextSettings?
    /// Top-level sections lvsd reads without modelling them (`static_rules`, `bfd_instance`, ...), in file order.
    public var ignoredSections: [IgnoredSection]
    /// The VRRP sections: `vrrp_instance`, `vrrp_script`, `vrrp_sync_group`, `static_ipaddress`, `static_routes`.
    public var vrrp: VRRPConfiguration

    /// An empty configuration (everything defaulted).
    public init(globalDefinitions: GlobalDefinitions = GlobalDefinitions(), virtualServerGroups: [VirtualServerGroup] = [],
                virtualServers: [VirtualServer] = [], ssl: SSLContextSettings? = nil, ignoredSections: [IgnoredSection] = [],
                vrrp: VRRPConfiguration = VRRPConfiguration()) {
        self.globalDefinitions = globalDefinitions
        self.virtualServerGroups = virtualServerGroups
        self.virtualServers = virtualServers
        self.ssl = ssl
        self.ignoredSections = ignoredSections
        self.vrrp = vrrp
    }

    /// The group called `name`, if defined.
    public func group(named name: String) -> VirtualServerGroup? {
        virtualServerGroups.first { $0.name == name }
    }
}

/// A top-level section that lvsd reads (braces balanced) but does not act upon.
public struct IgnoredSection: Hashable, Sendable {
    /// The section keyword (`vrrp_instance`).
    public var keyword: String
    /// Its arguments (`VI_1`).
    public var arguments: [String]
    /// Where it starts.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// A script to run, as `notify_up`, `quorum_up` or `misc_path` give it: `"path args" [user [group]]`.
public struct ScriptCommand: Hashable, Sendable {
    /// The program and its arguments, split with shell-like quoting; never empty.
    public var arguments: [String]
    /// The user to run as, if given.
    public var user: String?
    /// The group to run as, if given.
    public var group: String?
    /// Where the keyword was written.
    @ExcludedFromEquality public var location: ConfigLocation

    /// The program path.
    public var path: String { arguments.first ?? "" }
}

/// A time value from the configuration (keepalived's TIMER: decimal seconds with up to 6 fractional digits).
public typealias ConfigDuration = Duration

/// `lvs_method` with its tunnel options.
public struct LVSMethod: Hashable, Sendable {
    /// NAT (`.masquerade`), DR (`.route`) or TUN (`.tunnel`).
    public var forwarding: ForwardingMethod
    /// Tunnel settings for TUN.
    public var tunnel: TunnelSettings
    /// Creates a method.
    public init(forwarding: ForwardingMethod, tunnel: TunnelSettings = TunnelSettings()) {
        self.forwarding = forwarding
        self.tunnel = tunnel
    }
    /// `NAT`, `DR` or `TUN`.
    public var keyword: String {
        switch forwarding {
        case .masquerade: "NAT"
        case .route: "DR"
        case .tunnel: "TUN"
        case .local: "LOCAL"
        case .bypass: "BYPASS"
        }
    }
    /// keepalived's default: NAT.
    public static let nat = LVSMethod(forwarding: .masquerade)
}

/// How a virtual server is identified.
public enum VirtualServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// `virtual_server IP PORT`.
    case endpoint(IPAddress, port: UInt16)
    /// `virtual_server fwmark N`.
    case firewallMark(UInt32)
    /// `virtual_server group NAME`.
    case group(String)

    /// keepalived's form: `[10.0.0.1]:80`, `FWM 7`, `[GROUP]`.
    public var description: String {
        switch self {
        case .endpoint(let a, let p): "[\(a)]:\(p)"
        case .firewallMark(let m): "FWM \(m)"
        case .group(let g): "[\(g)]"
        }
    }
}

/// `virtual_server { ... }`.
public struct VirtualServer: Hashable, Sendable {
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
    /// Address and port, firewall mark, or group.
    public var address: VirtualServerAddress
    /// `lvs_sched` (default `wlc`).
    public var scheduler: String = Defaults.scheduler
    /// `lvs_method` (default NAT).
    public var method: LVSMethod = .nat
    /// `protocol` (default UDP, with a warning, for address services).
    public var protocolType: IPProtocol = Defaults.protocolType
    /// `ip_family`, if given.
    public var family: AddressFamily?
    /// `ops`, `flag-N`, `sh-*`, `mh-*` as kernel flags (persistence is in ``persistenceTimeout``).
    public var flags: ServiceFlags = []
    /// `persistence_timeout` in seconds, if persistent.
    public var persistenceTimeout: UInt32?
    /// `persistence_granularity` as a prefix length (a dotted IPv4 netmask is converted).
    public var persistenceGranularity: UInt32?
    /// `persistence_engine`.
    public var persistenceEngine: String?
    /// `ha_suspend`.
    public var haSuspend = false
    /// `virtualhost` (default HTTP Host of the checkers).
    public var virtualhost: String?
    /// `alpha`.
    public var alpha = false
    /// `omega`.
    public var omega = false
    /// `quorum` (default 1, clamped to the sum of real-server weights).
    public var quorum: UInt32 = Defaults.quorum
    /// `hysteresis` (default 0, clamped to quorum − 1).
    public var hysteresis: UInt32 = 0
    /// `quorum_up`.
    public var quorumUp: ScriptCommand?
    /// `quorum_down`.
    public var quorumDown: ScriptCommand?
    /// `weight`: the default weight of its real servers (1).
    public var defaultWeight: Int32 = Defaults.weight
    /// `sorry_server`.
    public var sorryServer: SorryServer?
    /// `sorry_server_inhibit`.
    public var sorryServerInhibit = false
    /// `delay_loop` (60 s).
    public var delayLoop: ConfigDuration = Defaults.delayLoop
    /// `connect_timeout` (5 s).
    public var connectTimeout: ConfigDuration = Defaults.connectTimeout
    /// `retry`, if given (inherited by real servers and checkers).
    public var retry: UInt32?
    /// `delay_before_retry`, if given.
    public var delayBeforeRetry: ConfigDuration?
    /// `warmup`, if given.
    public var warmup: ConfigDuration?
    /// `inhibit_on_failure` (inherited by real servers).
    public var inhibitOnFailure = false
    /// `smtp_alert`: mail quorum changes (default: the global `smtp_alert_checker`, else `smtp_alert`, else off).
    public var smtpAlert: Bool?
    /// `snmp_name` (parsed; not acted upon).
    public var snmpName: String?
    /// lvsd extension `drain_timeout SECS` (inherited by real servers).
    public var drainTimeout: ConfigDuration?
    /// lvsd extension `announce [rise SECS] [fall SECS]`: keep the address on the announce interface while healthy.
    public var announce: AnnounceSettings?
    /// The real servers, port rules applied and duplicates removed.
    public var realServers: [RealServer] = []
    /// Whether `lvs_method` was given (otherwise NAT was assumed with a warning).
    public var methodWasGiven = false
    /// Whether `protocol` was given.
    public var protocolWasGiven = false

    /// Creates a virtual server with keepalived's defaults.
    public init(location: ConfigLocation, address: VirtualServerAddress) {
        self.location = location
        self.address = address
    }

    /// The kernel persistence timeout (0 when not persistent).
    public var isPersistent: Bool { persistenceTimeout != nil }
}

/// `sorry_server IP [PORT]`.
public struct SorryServer: Hashable, Sendable {
    /// The address.
    public var address: IPAddress
    /// The port (0 = none given; takes the virtual server's port when mapped).
    public var port: UInt16
    /// `sorry_server_lvs_method`, else the virtual server's method.
    public var method: LVSMethod?
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// `real_server IP [PORT] { ... }`.
public struct RealServer: Hashable, Sendable {
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
    /// The address.
    public var address: IPAddress
    /// The port after the port rules (NAT without port: the VS port; DR/TUN: the VS port; fwmark non-NAT: 0).
    public var port: UInt16
    /// Whether a port was written.
    public var portWasGiven: Bool
    /// `weight` (default: the virtual server's `weight`).
    public var weight: Int32
    /// `lvs_method` (default: the virtual server's).
    public var method: LVSMethod
    /// `uthreshold` (0 = none).
    public var upperThreshold: UInt32 = 0
    /// `lthreshold` (0 = none).
    public var lowerThreshold: UInt32 = 0
    /// `inhibit_on_failure` (default: the virtual server's).
    public var inhibitOnFailure: Bool
    /// `notify_up`.
    public var notifyUp: ScriptCommand?
    /// `notify_down`.
    public var notifyDown: ScriptCommand?
    /// `alpha` (default: the virtual server's).
    public var alpha: Bool
    /// `retry`, if given here.
    public var retry: UInt32?
    /// `delay_before_retry`, if given here.
    public var delayBeforeRetry: ConfigDuration?
    /// `warmup`, if given here.
    public var warmup: ConfigDuration?
    /// `connect_timeout`, if given here.
    public var connectTimeout: ConfigDuration?
    /// `delay_loop`, if given here.
    public var delayLoop: ConfigDuration?
    /// `smtp_alert`: mail checker changes (default: the global `smtp_alert_checker`, else `smtp_alert`, else on;
    /// not inherited from the virtual server).
    public var smtpAlert: Bool?
    /// `virtualhost`.
    public var virtualhost: String?
    /// `snmp_name` (parsed; not acted upon).
    public var snmpName: String?
    /// lvsd extension `rise N` (inherited by its checkers).
    public var rise: UInt32?
    /// lvsd extension `fall N` (inherited by its checkers).
    public var fall: UInt32?
    /// lvsd extension `drain_timeout SECS`, else the virtual server's.
    public var drainTimeout: ConfigDuration?
    /// The health checkers, with inherited timing resolved.
    public var checkers: [Checker] = []

    /// The configured address and port (for a group virtual server, a NAT real server without a port takes each
    /// service's port; see ``IPVSMapping/destination(for:in:)``).
    public var key: DestinationKey { DestinationKey(address: address, port: port) }

    /// `[10.0.0.2]:80` as keepalived logs real servers (without protocol).
    public var endpointDescription: String { "[\(address)]:\(port)" }
}

/// `virtual_server_group NAME { ... }`.
public struct VirtualServerGroup: Hashable, Sendable {
    /// The group name.
    public var name: String
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
    /// The entries, in file order.
    public var entries: [VirtualServerGroupEntry]
}

/// One line of a `virtual_server_group`.
public struct VirtualServerGroupEntry: Hashable, Sendable {
    /// What the line names.
    public enum Target: Hashable, Sendable {
        /// `IP`, `IP-LASTOCTET`, `IP-IP` or `IP/LEN` (an inclusive range; one address when first == last).
        case addresses(first: IPAddress, last: IPAddress)
        /// `fwmark N [inet|inet6]`.
        case firewallMark(UInt32, family: AddressFamily?)
    }
    /// The target.
    public var target: Target
    /// The port (0 = none).
    public var port: UInt16
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// The global `SSL { }` block used by SSL_GET.
public struct SSLContextSettings: Hashable, Sendable {
    /// `password`.
    public var password: String?
    /// `ca`.
    public var caFile: String?
    /// `certificate`.
    public var certificateFile: String?
    /// `key`.
    public var keyFile: String?
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
}
