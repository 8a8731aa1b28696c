/// The state an instance is configured to start in (`state MASTER|BACKUP`). keepalived derives it when `state`
/// is absent: MASTER at priority 255, BACKUP otherwise (and priority 255 when only `state MASTER` is given).
public enum InitialState: Hashable, Sendable {
    /// `state BACKUP` (the default for priority below 255): wait a full Master_Down_Interval.
    case backup
    /// `state MASTER`: the owner (255) becomes MASTER at once; a sync-group member waits one interval plus the
    /// minimum skew, anyone else a full Master_Down_Interval. Clears `nopreempt` and `preempt_delay`.
    case master
}

/// keepalived's v3 IPv4 unicast checksum compatibility (`old_unicast_checksum`, reference §1.4).
public enum OldUnicastChecksum: Hashable, Sendable {
    /// The default: send with the peer in the pseudo-header, and switch to the old form (224.0.0.18 in the
    /// pseudo-header) on receiving an advert that verifies only that way.
    case detect
    /// `old_unicast_checksum`: always send the old form.
    case always
    /// `old_unicast_checksum never`: never switch.
    case never
}

/// One `vrrp_instance`'s settings, in this target's own terms (a later step maps keepalived.conf onto it). Times
/// are in microseconds. Defaults are keepalived 2.2.7's (reference appendix).
public struct InstanceSettings: Hashable, Sendable {
    /// The instance name, as in `(VI_1) Entering MASTER STATE`.
    public var name: String
    /// `virtual_router_id`, 1-255.
    public var vrid: UInt8
    /// `version` (IPv6 instances are always v3).
    public var version: VRRPVersion
    /// The family of the VIPs and of the adverts.
    public var family: AddressFamily
    /// Base `priority`, 1-255; 255 makes the instance the address owner.
    public var priority: UInt8
    /// `advert_int` in microseconds: whole seconds for v2, a multiple of 10 ms below 40.96 s for v3.
    public var advertInterval: UInt64
    /// `state`.
    public var initialState: InitialState
    /// `nopreempt`: a backup takes any valid advert, even a lower-priority one, as the master's.
    public var noPreempt: Bool
    /// `preempt_delay` in microseconds (0 = none): how long lower-priority adverts keep being accepted after
    /// the first one, before this instance preempts.
    public var preemptDelay: UInt64
    /// `virtual_ipaddress`: the advertised VIPs.
    public var virtualAddresses: [VRRPAddress]
    /// `unicast_peer`; empty means multicast.
    public var unicastPeers: [UnicastPeer]
    /// Our source address: `unicast_src_ip` / `mcast_src_ip`, else the interface's primary address (IPv6: its
    /// link-local). Sent in the IP header and compared in the equal-priority tie-break.
    public var primaryAddress: VRRPAddress
    /// The multicast group (`vrrp_mcast_group4/6`, `mcast_dst_ip`); defaults to 224.0.0.18 or ff02::12.
    public var multicastGroup: VRRPAddress
    /// VRRPv2 auth type (`none` or `simplePassword`; ignored by v3).
    public var authType: AuthType
    /// VRRPv2 password bytes (``Advertisement/password(_:)``).
    public var authData: [UInt8]
    /// `down_timer_adverts` (1-100, default 3).
    public var downTimerAdverts: UInt64
    /// `lower_prio_no_advert`: a master hearing a lower priority does not answer at once.
    public var lowerPriorityNoAdvert: Bool
    /// `higher_prio_send_advert`: a master hearing a higher priority sends one advert before yielding.
    public var higherPrioritySendAdvert: Bool
    /// `vrrp_skip_check_adv_addr`: a backup skips the address checks for repeat adverts from its master.
    public var skipCheckAdvertAddresses: Bool
    /// `check_unicast_src`.
    public var checkUnicastSource: Bool
    /// `old_unicast_checksum [never]`: which pseudo-header destination a v3 IPv4 unicast instance checksums with.
    public var oldUnicastChecksum: OldUnicastChecksum
    /// `garp_master_delay` in microseconds (default 5 s; 0 = no second burst).
    public var garpMasterDelay: UInt64
    /// `garp_master_repeat` (default 5).
    public var garpMasterRepeat: Int
    /// `garp_master_refresh` in microseconds (0 = off); checked only when an advert is sent.
    public var garpMasterRefresh: UInt64
    /// `garp_master_refresh_repeat` (default 1).
    public var garpMasterRefreshRepeat: Int
    /// `garp_lower_prio_delay` in microseconds (defaults to `garp_master_delay`).
    public var garpLowerPriorityDelay: UInt64
    /// `garp_lower_prio_repeat` (defaults to `garp_master_repeat`).
    public var garpLowerPriorityRepeat: Int
    /// `vrrp_startup_delay` in microseconds: backup timers count from the end of it.
    public var startupDelay: UInt64
    /// Whether the instance is in a `vrrp_sync_group`: only then does a non-owner with `state MASTER` wait just
    /// one interval plus the minimum skew at start (keepalived 2.2.7's `vrrp_init_state`); otherwise it waits a
    /// full Master_Down_Interval like any backup.
    public var syncGroupMember = false

    /// Settings with keepalived's defaults for everything not given.
    public init(name: String, vrid: UInt8, version: VRRPVersion = .v2, priority: UInt8 = 100,
                advertInterval: UInt64 = 1_000_000, initialState: InitialState = .backup,
                virtualAddresses: [VRRPAddress], primaryAddress: VRRPAddress) {
        self.name = name
        self.vrid = vrid
        self.family = primaryAddress.family
        self.version = primaryAddress.family == .ipv6 ? .v3 : version
        self.priority = priority
        self.advertInterval = advertInterval
        self.initialState = initialState
        self.noPreempt = false
        self.preemptDelay = 0
        self.virtualAddresses = virtualAddresses
        self.unicastPeers = []
        self.primaryAddress = primaryAddress
        self.multicastGroup = primaryAddress.family == .ipv6 ? .multicastGroupV6 : .multicastGroupV4
        self.authType = .none
        self.authData = Advertisement.noAuthData
        self.downTimerAdverts = 3
        self.lowerPriorityNoAdvert = false
        self.higherPrioritySendAdvert = false
        self.skipCheckAdvertAddresses = false
        self.checkUnicastSource = false
        self.oldUnicastChecksum = .detect
        self.garpMasterDelay = 5_000_000
        self.garpMasterRepeat = 5
        self.garpMasterRefresh = 0
        self.garpMasterRefreshRepeat = 1
        self.garpLowerPriorityDelay = 5_000_000
        self.garpLowerPriorityRepeat = 5
        self.startupDelay = 0
    }

    /// Whether this instance is the address owner (base priority 255).
    public var isAddressOwner: Bool { priority == 255 }

    /// What received adverts must match (reference §2).
    public var receiveExpectations: ReceiveExpectations {
        var e = ReceiveExpectations(version: version, family: family, authType: version == .v2 ? authType : .none,
                                    authData: authData, advertIntervalMicroseconds: advertInterval,
                                    addresses: virtualAddresses, unicastPeers: unicastPeers,
                                    checkUnicastSource: checkUnicastSource)
        e.acceptsOldUnicastChecksum = oldUnicastChecksum != .never
        return e
    }

    /// The settings as keepalived's `vrrp_complete_instance` leaves them, with its warnings: `nopreempt` cleared
    /// at priority 255 and with `state MASTER`; `preempt_delay` cleared with `state MASTER` and with
    /// `nopreempt`; auth dropped for v3.
    public func normalized() -> (settings: InstanceSettings, warnings: [String]) {
        var s = self
        var warnings: [String] = []
        if s.version == .v3 && s.authType != .none {
            warnings.append("(\(name)) VRRP version 3 does not support authentication. Ignoring.")
            s.authType = .none
            s.authData = Advertisement.noAuthData
        }
        if s.isAddressOwner && s.noPreempt {
            warnings.append("(\(name)) nopreempt is incompatible with priority 255. resetting nopreempt")
            s.noPreempt = false
        }
        if s.initialState == .master {
            if s.noPreempt {
                warnings.append("(\(name)) Warning - nopreempt will not work with initial state MASTER - clearing")
                s.noPreempt = false
            }
            if s.preemptDelay != 0 {
                warnings.append("(\(name)) Warning - preempt delay will not work with initial state MASTER - clearing")
                s.preemptDelay = 0
            }
        }
        if s.preemptDelay != 0 && s.noPreempt {
            warnings.append("(\(name)) preempt_delay is incompatible with nopreempt mode - resetting")
            s.preemptDelay = 0
        }
        return (s, warnings)
    }
}
