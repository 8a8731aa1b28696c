import IPVSKit

/// The VRRP part of a keepalived.conf: `vrrp_instance`, `vrrp_script`, `vrrp_sync_group`, `vrrp_track_file`,
/// `static_ipaddress` and `static_routes`, after keepalived 2.2.7's defaults and the post-parse rules.
///
/// Values are resolved as keepalived resolves them when it completes an instance (`vrrp_complete_instance`):
/// the version, the advert interval (rounded for the version), the priority and initial state, `accept`, the
/// GARP settings (instance, else global, else default) and `smtp_alert`. Anything keepalived clears or adjusts is
/// adjusted the same way here, with a warning at the line concerned.
public struct VRRPConfiguration: Hashable, Sendable {
    /// `vrrp_instance` blocks that survived validation, in file order.
    public var instances: [VRRPInstance] = []
    /// `vrrp_script` blocks that survived validation, in file order.
    public var scripts: [VRRPScript] = []
    /// `vrrp_sync_group` blocks with at least one member, in file order.
    public var syncGroups: [VRRPSyncGroup] = []
    /// `vrrp_track_file` (or `track_file`) blocks, in file order.
    public var trackFiles: [VRRPTrackFileDefinition] = []
    /// `static_ipaddress { }` entries: addresses kept on the host whatever the VRRP state.
    public var staticAddresses: [VRRPAddress] = []
    /// `static_routes { }` entries.
    public var staticRoutes: [VRRPRoute] = []

    /// An empty VRRP configuration.
    public init() {}

    /// Whether nothing VRRP-related was configured.
    public var isEmpty: Bool {
        instances.isEmpty && scripts.isEmpty && syncGroups.isEmpty && trackFiles.isEmpty && staticAddresses.isEmpty
            && staticRoutes.isEmpty
    }

    /// The instance called `name`, if defined.
    public func instance(named name: String) -> VRRPInstance? { instances.first { $0.name == name } }
    /// The script called `name`, if defined.
    public func script(named name: String) -> VRRPScript? { scripts.first { $0.name == name } }
    /// The sync group called `name`, if defined.
    public func syncGroup(named name: String) -> VRRPSyncGroup? { syncGroups.first { $0.name == name } }
}

/// The initial state of an instance (`state MASTER|BACKUP`).
public enum VRRPInitialState: String, Hashable, Sendable {
    /// `state MASTER`: an address owner becomes MASTER at once, others after one advert interval plus skew.
    case master = "MASTER"
    /// `state BACKUP`: wait the master-down interval.
    case backup = "BACKUP"
}

/// The VRRP protocol version.
public enum VRRPVersion: Int, Hashable, Sendable {
    /// VRRPv2 (RFC 3768): IPv4 only, whole-second intervals, authentication.
    case v2 = 2
    /// VRRPv3 (RFC 5798): IPv4 and IPv6, centisecond intervals, no authentication.
    case v3 = 3
}

/// `authentication { auth_type PASS|AH  auth_pass SECRET }` (VRRPv2 only).
public struct VRRPAuthentication: Hashable, Sendable {
    /// The authentication type.
    public enum Kind: String, Hashable, Sendable {
        /// Simple text password (type 1): the first 8 bytes of the password, zero-padded, in every advert.
        case pass = "PASS"
        /// IPsec AH (type 2). Parsed; lvsd's VRRP engine does not implement AH.
        case ah = "AH"
    }
    /// The type.
    public var kind: Kind
    /// The password as keepalived keeps it: at most 8 bytes (longer ones are truncated with a warning).
    public var password: String
    /// The 8 bytes carried in a VRRPv2 advert: the password, zero-padded.
    public var authenticationData: [UInt8] {
        let bytes = Array(password.utf8.prefix(8))
        return bytes + [UInt8](repeating: 0, count: 8 - bytes.count)
    }
}

/// A `virtual_ipaddress`, `virtual_ipaddress_excluded` or `static_ipaddress` line:
/// `IP[/len] [brd IP|+|-] [dev IF] [scope S] [label L] [peer IP] [home] [-nodad] [mngtmpaddr] [noprefixroute]
/// [autojoin] [no_track] [preferred_lft N|forever] [use_vmac]`.
public struct VRRPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address.
    public var address: IPAddress
    /// The prefix length (default /32 or /128; with `peer`, the peer's prefix).
    public var prefixLength: UInt8
    /// `dev IF`; `nil` means the instance's interface.
    public var device: String?
    /// `scope` as a number (`global`/`universe` 0, `site` 200, `link` 253, `host` 254, `nowhere` 255, or 0-255).
    public var scope: UInt8?
    /// The broadcast address (`brd IP`, or computed from `brd +` / `brd -`).
    public var broadcast: IPAddress?
    /// `label IF:x` (IPv4 only).
    public var label: String?
    /// `peer IP` (point-to-point).
    public var peer: IPAddress?
    /// `home` (IFA_F_HOMEADDRESS).
    public var home = false
    /// `-nodad`: keepalived sets IFA_F_NODAD in the mask only (IPv6 VIPs get NODAD anyway).
    public var noDAD = false
    /// `mngtmpaddr`.
    public var manageTemporaryAddress = false
    /// `noprefixroute`.
    public var noPrefixRoute = false
    /// `autojoin`.
    public var autoJoin = false
    /// `no_track`: deleting the address by hand does not take the instance out of MASTER.
    public var noTrack = false
    /// `preferred_lft N|forever` (`UInt32.max` is forever). For IPv6 without it: 0 for a /128 (never a source
    /// address), forever otherwise; `nil` for IPv4 without it.
    public var preferredLifetime: UInt32?
    /// `use_vmac` on the address (VIPs only).
    public var useVMAC = false
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation

    /// The address family.
    public var family: AddressFamily { address.family }

    /// `10.0.0.1/24 dev eth0`, as `ip addr` would be told.
    public var description: String {
        var text = "\(address)/\(prefixLength)"
        if let device { text += " dev \(device)" }
        if let label { text += " label \(label)" }
        return text
    }
}

/// A `virtual_routes` or `static_routes` line, in `ip route` syntax:
/// `[src IP] [to] [TYPE] DEST[/len]|default [via|gw IP] [or IP] [dev IF] [scope S] [table T] [metric N]
/// [protocol P] [onlink] [no_track] ...`.
public struct VRRPRoute: Hashable, Sendable {
    /// The destination (`nil` for `default`, `any` or `all`).
    public var destination: IPAddress?
    /// The destination prefix length.
    public var prefixLength: UInt8
    /// The family (from the addresses, or `inet`/`inet6`).
    public var family: AddressFamily
    /// The route type (`unicast` unless `blackhole`, `unreachable`, `prohibit`, `local`, ... was given).
    public var type: String = "unicast"
    /// `src IP`.
    public var source: IPAddress?
    /// `via IP` (or the deprecated `gw IP`).
    public var via: IPAddress?
    /// `or IP`: the deprecated second gateway (the route becomes two nexthops).
    public var orVia: IPAddress?
    /// `dev IF` (or `oif IF`).
    public var device: String?
    /// `scope` as a number (default 0, universe).
    public var scope: UInt8 = 0
    /// `table` (default 254, main).
    public var table: UInt32 = 254
    /// `metric` (or `priority` / `preference`).
    public var metric: UInt32?
    /// The rtnetlink protocol: 18 (RTPROT_KEEPALIVED) unless `no_track` and another `protocol` was given.
    public var protocolNumber: UInt8 = 18
    /// `onlink`.
    public var onLink = false
    /// `no_track`.
    public var noTrack = false
    /// Other options, as written (`mtu 1400`, `advmss 1360`, `tos 0x10`, ...), for the rtnetlink layer.
    public var otherOptions: [String] = []
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// One `unicast_peer { IP [min_ttl N] [max_ttl N] }` line.
public struct VRRPUnicastPeer: Hashable, Sendable {
    /// The peer's address.
    public var address: IPAddress
    /// Lowest TTL accepted from this peer (default 0).
    public var minimumTTL: UInt8 = 0
    /// Highest TTL accepted from this peer (default 255).
    public var maximumTTL: UInt8 = 255
    /// Whether a TTL bound was given (keepalived then checks the TTL and the source of unicast adverts).
    public var ttlCheckConfigured = false
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// A `track_interface { IF [weight N [reverse]] }` line.
public struct VRRPTrackedInterface: Hashable, Sendable {
    /// The interface name.
    public var interface: String
    /// The weight (-253...253); 0 (no weight) means the interface going down puts the instance in FAULT.
    public var weight: Int = 0
    /// `reverse`: the weight applies while the interface is down instead of up.
    public var reverse = false
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// A `track_script { NAME [weight N [reverse|noreverse]] }` line.
public struct VRRPTrackedScript: Hashable, Sendable {
    /// The `vrrp_script` name.
    public var name: String
    /// The weight given on this line, overriding the script's (-253...253).
    public var weight: Int?
    /// `reverse` (`true`) or `noreverse` (`false`) given on this line.
    public var reverse: Bool?
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// A `track_file { NAME [weight N [reverse]] }` line.
public struct VRRPTrackedFile: Hashable, Sendable {
    /// The `vrrp_track_file` name.
    public var name: String
    /// The weight given on this line, overriding the file's.
    public var weight: Int?
    /// `reverse` given on this line.
    public var reverse = false
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// `vrrp_track_file NAME { file PATH  weight N [reverse]  init_file [VALUE] [overwrite] }`.
public struct VRRPTrackFileDefinition: Hashable, Sendable {
    /// The name.
    public var name: String
    /// `file`: the file whose number is read.
    public var path: String?
    /// `weight` (default 1; the file's number is multiplied by it).
    public var weight: Int = 1
    /// `reverse`.
    public var reverse = false
    /// `init_file [VALUE] [overwrite]`, as written.
    public var initFile: [String]?
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// GARP / unsolicited NA timing (`garp_*` in an instance, `vrrp_garp_*` in global_defs).
public struct GARPSettings: Hashable, Sendable {
    /// `garp_master_delay`: delay before the second burst after becoming MASTER; 0 = no second burst (default 5 s).
    public var masterDelay: ConfigDuration = .seconds(5)
    /// `garp_master_repeat`: messages per address per burst (default 5).
    public var masterRepeat: UInt32 = 5
    /// `garp_master_refresh`: re-announce interval while MASTER; 0 = never (default).
    public var masterRefresh: ConfigDuration = .zero
    /// `garp_master_refresh_repeat`: messages per refresh (default 1).
    public var masterRefreshRepeat: UInt32 = 1
    /// `garp_lower_prio_delay`: delay of the burst after a MASTER hears a lower priority (default: masterDelay).
    public var lowerPriorityDelay: ConfigDuration = .seconds(5)
    /// `garp_lower_prio_repeat`: messages in that burst (default: masterRepeat).
    public var lowerPriorityRepeat: UInt32 = 5

    /// keepalived's defaults.
    public init() {}
}

/// The global VRRP settings of `global_defs`.
public struct GlobalVRRPSettings: Hashable, Sendable {
    /// `vrrp_version 2|3`: the version of IPv4 instances that name none (default 2; IPv6 always uses 3).
    public var version: VRRPVersion = .v2
    /// `vrrp_mcast_group4` (default 224.0.0.18).
    public var multicastGroup4: IPAddress = IPAddress.v4(0xE000_0012)
    /// `vrrp_mcast_group6` (default ff02::12).
    public var multicastGroup6: IPAddress = IPAddress.v6(0xFF02_0000_0000_0000, 0x12)
    /// `vrrp_garp_master_delay`, `vrrp_garp_master_repeat`, `vrrp_garp_master_refresh`,
    /// `vrrp_garp_master_refresh_repeat`: the defaults of every instance.
    public var garp = GARPSettings()
    /// `vrrp_garp_lower_prio_delay`, if given (otherwise each instance uses its master delay).
    public var garpLowerPriorityDelay: ConfigDuration?
    /// `vrrp_garp_lower_prio_repeat`, if given (otherwise each instance uses its master repeat).
    public var garpLowerPriorityRepeat: UInt32?
    /// `vrrp_garp_interval`: spacing of gratuitous ARPs on one interface (default 0).
    public var garpInterval: ConfigDuration = .zero
    /// `vrrp_gna_interval`: spacing of unsolicited neighbour advertisements on one interface (default 0).
    public var gnaInterval: ConfigDuration = .zero
    /// `vrrp_startup_delay`: wait before starting any instance (default 0).
    public var startupDelay: ConfigDuration = .zero
    /// `vrrp_strict`: RFC-strict mode for every instance that does not say `strict_mode off`.
    public var strict = false
    /// `vrrp_notify_priority_changes`: instances write `MASTER_PRIORITY` / `BACKUP_PRIORITY` FIFO lines when their
    /// effective priority changes (an instance's or its sync group's own setting overrides it).
    public var notifyPriorityChanges = false
    /// `vrrp_down_timer_adverts` (1-100, default 3): adverts missed before the master is declared down.
    public var downTimerAdverts: UInt32 = 3

    /// keepalived's defaults.
    public init() {}
}

/// What a `vrrp_instance` and a `vrrp_sync_group` both have: tracked objects and notify scripts.
public protocol VRRPTrackingAndNotify {
    /// `track_interface` entries.
    var trackInterfaces: [VRRPTrackedInterface] { get set }
    /// `track_script` entries.
    var trackScripts: [VRRPTrackedScript] { get set }
    /// `track_file` entries.
    var trackFiles: [VRRPTrackedFile] { get set }
    /// `notify_master`.
    var notifyMaster: ScriptCommand? { get set }
    /// `notify_backup`.
    var notifyBackup: ScriptCommand? { get set }
    /// `notify_fault`.
    var notifyFault: ScriptCommand? { get set }
    /// `notify_stop`.
    var notifyStop: ScriptCommand? { get set }
    /// `notify` (called with the instance or group, its name, the state and the priority appended).
    var notify: ScriptCommand? { get set }
}

extension VRRPInstance: VRRPTrackingAndNotify {}
extension VRRPSyncGroup: VRRPTrackingAndNotify {}

/// `vrrp_instance NAME { ... }`.
public struct VRRPInstance: Hashable, Sendable {
    /// The instance name (`VI_1`), as used in logs: `(VI_1) Entering MASTER STATE`.
    public var name: String
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
    /// The initial state (`state`; without it: MASTER for priority 255, else BACKUP; strict mode forces MASTER
    /// exactly for priority 255).
    public var initialState: VRRPInitialState = .backup
    /// Whether `state` was written.
    public var stateWasGiven = false
    /// `interface` (`nil` only for a unicast instance with `unicast_src_ip`).
    public var interface: String?
    /// `virtual_router_id` (1-255, required).
    public var virtualRouterID: UInt8 = 0
    /// `priority` (1-255; default 100, or 255 for `state MASTER` without a priority, as keepalived does).
    public var priority: UInt8 = 100
    /// Whether `priority` was written.
    public var priorityWasGiven = false
    /// `advert_int`, resolved for the version: whole seconds (1-255) for v2, centiseconds (0.01-40.95 s) for v3.
    public var advertInterval: ConfigDuration = .seconds(1)
    /// The protocol version: `version`, else 3 for IPv6, else `vrrp_version` (default 2).
    public var version: VRRPVersion = .v2
    /// The address family (from the VIPs, unicast addresses or `mcast_dst_ip`; IPv4 when none says).
    public var family: AddressFamily = .inet
    /// `authentication { }` (v2 only; cleared with a warning for v3 or strict mode).
    public var authentication: VRRPAuthentication?
    /// `virtual_ipaddress { }`: the advertised addresses (at most 255, and what fits in a packet).
    public var virtualAddresses: [VRRPAddress] = []
    /// `virtual_ipaddress_excluded { }`: addresses added with the VIPs but never advertised.
    public var excludedAddresses: [VRRPAddress] = []
    /// `virtual_routes { }`.
    public var virtualRoutes: [VRRPRoute] = []
    /// `nopreempt` (cleared for priority 255 and for `state MASTER`).
    public var noPreempt = false
    /// `preempt_delay` (0-1000 s; cleared for `state MASTER`, strict mode or nopreempt).
    public var preemptDelay: ConfigDuration = .zero
    /// GARP settings: the instance's `garp_*`, else the global `vrrp_garp_*`, else keepalived's defaults (strict
    /// mode forces no lower-priority burst).
    public var garp = GARPSettings()
    /// `unicast_src_ip`.
    public var unicastSourceAddress: IPAddress?
    /// `mcast_src_ip`.
    public var multicastSourceAddress: IPAddress?
    /// `mcast_dst_ip`, else the global group for the family (`nil` for a unicast instance).
    public var multicastGroup: IPAddress?
    /// `unicast_peer { }`.
    public var unicastPeers: [VRRPUnicastPeer] = []
    /// `unicast_ttl` (IPv4 TTL of unicast adverts; default 255).
    public var unicastTTL: UInt8?
    /// `unicast_fault_no_peer`: a unicast keyword with no peers means FAULT, not multicast.
    public var unicastFaultNoPeer = false
    /// `track_interface { }`.
    public var trackInterfaces: [VRRPTrackedInterface] = []
    /// `track_script { }` (only scripts that exist; others are dropped with a warning).
    public var trackScripts: [VRRPTrackedScript] = []
    /// `track_file { }`.
    public var trackFiles: [VRRPTrackedFile] = []
    /// `dont_track_primary`: the instance's own interface going down does not mean FAULT.
    public var dontTrackPrimary = false
    /// `notify_master`.
    public var notifyMaster: ScriptCommand?
    /// `notify_backup`.
    public var notifyBackup: ScriptCommand?
    /// `notify_fault`.
    public var notifyFault: ScriptCommand?
    /// `notify_stop`.
    public var notifyStop: ScriptCommand?
    /// `notify_deleted [script]`: `.some(nil)` when given without a script.
    public var notifyDeleted: ScriptCommand??
    /// `notify_priority_changes [BOOL]`; `nil`: the sync group's, else the global setting.
    public var notifyPriorityChanges: Bool?
    /// `notify`: run after the specific script with `INSTANCE NAME STATE PRIORITY` appended.
    public var notify: ScriptCommand?
    /// `notify_master_rx_lower_pri`.
    public var notifyMasterRxLowerPriority: ScriptCommand?
    /// `smtp_alert`, else the global `smtp_alert_vrrp`, else the global `smtp_alert`, else off.
    public var smtpAlert = false
    /// `accept` / `no_accept` (default: on, except off in strict mode for a non-owner).
    public var accept = true
    /// `strict_mode`, else the global `vrrp_strict`.
    public var strictMode = false
    /// `use_vmac [NAME] [MAC]` (parsed; lvsd does not create VMAC interfaces).
    public var useVMAC: VMACSettings?
    /// `down_timer_adverts` (1-100, default the global, 3).
    public var downTimerAdverts: UInt32 = 3
    /// `skip_check_adv_addr`.
    public var skipCheckAdvertAddresses = false
    /// `lower_prio_no_advert` (default off; on in strict mode).
    public var lowerPriorityNoAdvert = false
    /// `higher_prio_send_advert` (default off).
    public var higherPrioritySendAdvert = false
    /// The sync group the instance belongs to, if any.
    public var syncGroup: String?
    /// Recognised keywords that are kept as written (`debug`, `kernel_rx_buf_size`, `promote_secondaries`, ...).
    public var otherSettings: [OtherSetting] = []

    /// An instance with keepalived's defaults.
    public init(name: String, location: ConfigLocation) {
        self.name = name
        self.location = location
    }

    /// Whether adverts are unicast (at least one peer).
    public var isUnicast: Bool { !unicastPeers.isEmpty }
    /// Whether the instance is the address owner (priority 255).
    public var isAddressOwner: Bool { priority == 255 }
}

/// `use_vmac [NAME] [MAC]`.
public struct VMACSettings: Hashable, Sendable {
    /// The interface name (default `vrrp.VRID`).
    public var name: String?
    /// The MAC address, as written.
    public var macAddress: String?
}

/// `vrrp_script NAME { ... }`.
public struct VRRPScript: Hashable, Sendable {
    /// The name `track_script` refers to.
    public var name: String
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
    /// `script "path args"` (required), with `user` applied.
    public var script: ScriptCommand
    /// `interval` in whole seconds (default 1).
    public var interval: ConfigDuration = .seconds(1)
    /// `timeout` in whole seconds; `nil` means the interval.
    public var timeout: ConfigDuration?
    /// `weight` (-253...253, default 0: failure means FAULT).
    public var weight: Int = 0
    /// `weight N reverse`.
    public var weightReverse = false
    /// `rise`: successes before the script counts as up (default 1).
    public var rise: UInt32 = 1
    /// `fall`: failures before it counts as down (default 1).
    public var fall: UInt32 = 1
    /// `init_fail`: start in the failed state.
    public var initFail = false

    /// The timeout in effect.
    public var effectiveTimeout: ConfigDuration { timeout ?? interval }
}

/// `vrrp_sync_group NAME { group { ... } ... }`.
public struct VRRPSyncGroup: Hashable, Sendable {
    /// The group name.
    public var name: String
    /// Where the block starts.
    @ExcludedFromEquality public var location: ConfigLocation
    /// The member instances that exist and are in no other group, in the order written.
    public var members: [String] = []
    /// `notify_master`.
    public var notifyMaster: ScriptCommand?
    /// `notify_backup`.
    public var notifyBackup: ScriptCommand?
    /// `notify_fault`.
    public var notifyFault: ScriptCommand?
    /// `notify_stop`.
    public var notifyStop: ScriptCommand?
    /// `notify`: `GROUP NAME STATE 0` appended.
    public var notify: ScriptCommand?
    /// `smtp_alert`, if given.
    public var smtpAlert: Bool?
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): members keep their tracking weights.
    public var trackingWeight = false
    /// `notify_priority_changes [BOOL]` of the group, for members without their own; `nil`: the global setting.
    public var notifyPriorityChanges: Bool?
    /// `track_interface { }` of the group.
    public var trackInterfaces: [VRRPTrackedInterface] = []
    /// `track_script { }` of the group.
    public var trackScripts: [VRRPTrackedScript] = []
    /// `track_file { }` of the group.
    public var trackFiles: [VRRPTrackedFile] = []
    /// Recognised keywords kept as written (`track_process`, `track_bfd`).
    public var otherSettings: [OtherSetting] = []
}
