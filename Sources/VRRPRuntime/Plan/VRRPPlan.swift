import ProgramRunner
import VRRP
import VRRPNetwork

/// What lvsd's VRRP part runs, planned from a keepalived.conf: the instances with their core settings, where their
/// addresses go, what they track and which scripts they notify. Built by ``VRRPPlanBuilder``; pure data.
public struct VRRPPlan: Hashable, Sendable {
    /// The instances, in file order.
    public var instances: [InstancePlan] = []
    /// The `vrrp_script`s some instance tracks, by name.
    public var scripts: [String: TrackScriptPlan] = [:]
    /// `vrrp_sync_group`s, in file order.
    public var syncGroups: [SyncGroupPlan] = []
    /// `lvs_sync_daemon`: the IPVS sync daemon that follows an instance.
    public var syncDaemon: SyncDaemonPlan?
    /// `static_ipaddress`: kept on the host whatever the state.
    public var staticAddresses: [PlannedAddress] = []
    /// `static_routes`: kept on the host whatever the state.
    public var staticRoutes: [PlannedRoute] = []
    /// `no_email_faults`: no alert mail for FAULT.
    public var noEmailFaults = false
    /// `notify_fifo` and `vrrp_notify_fifo`: FIFOs that get a line per VRRP event, with their reader scripts.
    public var fifos: [FifoPlan] = []

    /// An empty plan.
    public init() {}

    /// Whether there is nothing to run. An `lvs_sync_daemon` without a VRRP instance (an ECMP director tier: master
    /// and backup daemons at once) is something to run.
    public var isEmpty: Bool { instances.isEmpty && staticAddresses.isEmpty && staticRoutes.isEmpty && syncDaemon == nil }

    /// The instance called `name`.
    public func instance(named name: String) -> InstancePlan? { instances.first { $0.name == name } }
}

/// One `vrrp_instance`, planned.
public struct InstancePlan: Hashable, Sendable {
    /// The name, as in `(VI_1) Entering MASTER STATE`.
    public var name: String
    /// `interface`: where adverts go and VIPs land by default.
    public var interface: String
    /// The core's settings. ``InstanceSettings/primaryAddress`` is the configured source (`unicast_src_ip`,
    /// `mcast_src_ip`) when ``sourceGiven``, else a placeholder the engine replaces with the interface's address.
    public var settings: InstanceSettings
    /// Whether the source address was configured.
    public var sourceGiven: Bool
    /// `virtual_ipaddress` then `virtual_ipaddress_excluded`, each with its device.
    public var addresses: [PlannedAddress]
    /// `virtual_routes`.
    public var routes: [PlannedRoute]
    /// What the instance tracks.
    public var tracking: TrackingPlan
    /// The notify scripts.
    public var notify: NotifyPlan
    /// The sync group it belongs to.
    public var syncGroup: String?
    /// `notify_priority_changes` in effect (the instance's, else its group's, else `vrrp_notify_priority_changes`):
    /// effective priority changes write `MASTER_PRIORITY` / `BACKUP_PRIORITY` lines to the notify FIFOs.
    public var notifyPriorityChanges = false
    /// `smtp_alert` in effect.
    public var smtpAlert: Bool
    /// `vrrp_garp_interval` (IPv4) or `vrrp_gna_interval` (IPv6): the spacing of one burst's messages.
    public var announceSpacing: Duration = .zero
    /// Where the block starts (`FILE:LINE`), for messages.
    public var location: String

    /// The VIPs that the interface's own address must not collide with, and the devices they use.
    public var devices: Set<String> { Set(addresses.map { $0.device ?? interface }) }
}

/// An address the instance adds as MASTER (or a static address).
public struct PlannedAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address with its prefix, broadcast, label, scope and flags.
    public var address: InterfaceAddress
    /// `dev`; `nil` is the instance's interface.
    public var device: String?
    /// `no_track`: removing it by hand does not matter.
    public var noTrack: Bool
    /// Whether it is advertised (not `virtual_ipaddress_excluded`).
    public var advertised: Bool

    public var description: String { device.map { "\(address) dev \($0)" } ?? address.description }
}

/// A `virtual_routes` line, with its device by name.
public struct PlannedRoute: Hashable, Sendable {
    /// The route; its interface is filled in from ``device`` when applied.
    public var route: Route
    /// `dev`, if given.
    public var device: String?
}

/// What one instance tracks, with the weights in effect (sync-group members without `sync_group_tracking_weight`
/// have every weight forced to 0, as keepalived does).
public struct TrackingPlan: Hashable, Sendable {
    /// `track_script` entries (and the group's).
    public var scripts: [TrackedItem] = []
    /// `track_interface` entries (and the group's); the instance's own interface is added unless
    /// `dont_track_primary`.
    public var interfaces: [TrackedItem] = []
    /// `track_file` entries: the file's number times the weight.
    public var files: [TrackedFilePlan] = []

    /// Nothing tracked.
    public init() {}
}

/// A tracked script or interface: its name, the weight (0: failure means FAULT) and `reverse`.
public struct TrackedItem: Hashable, Sendable {
    /// The script or interface name.
    public var name: String
    /// -253...253; 0 means FAULT on failure.
    public var weight: Int
    /// Applies the weight in the opposite state.
    public var reverse: Bool

    /// Creates an item.
    public init(name: String, weight: Int, reverse: Bool = false) {
        self.name = name
        self.weight = weight
        self.reverse = reverse
    }
}

/// A tracked file.
public struct TrackedFilePlan: Hashable, Sendable {
    /// The `vrrp_track_file` name.
    public var name: String
    /// The file read.
    public var path: String
    /// The multiplier (0: a non-zero value means FAULT).
    public var weight: Int
    /// Negates the product.
    public var reverse: Bool
    /// `init_file [VALUE]`: the value written at start when the file is missing (`nil`: no `init_file`).
    public var initValue: Int? = nil
    /// `init_file ... overwrite`: write it even when the file exists.
    public var overwrite = false
}

/// A `vrrp_script`.
public struct TrackScriptPlan: Hashable, Sendable {
    /// Its name.
    public var name: String
    /// The program, its arguments and user.
    public var program: ProgramSpec
    /// Microseconds between runs.
    public var interval: Duration
    /// `rise` and `fall`.
    public var rise: Int
    public var fall: Int
    /// `init_fail`.
    public var initFail: Bool
}

/// The notify scripts of an instance or group, as argument vectors with their users.
public struct NotifyPlan: Hashable, Sendable {
    public var master: ProgramSpec?
    public var backup: ProgramSpec?
    public var fault: ProgramSpec?
    public var stop: ProgramSpec?
    /// `notify`: `INSTANCE|GROUP NAME STATE PRIORITY` appended.
    public var generic: ProgramSpec?
    /// `notify_master_rx_lower_pri`.
    public var masterRxLowerPriority: ProgramSpec?
    /// `notify_deleted` was given (with or without a script): an instance removed by a reload notifies DELETED
    /// rather than keepalived's old FAULT.
    public var notifyDeleted = false
    /// `notify_deleted`'s script.
    public var deleted: ProgramSpec?

    /// No scripts.
    public init() {}

    /// Whether no script is configured.
    public var isEmpty: Bool { self == NotifyPlan() }
}

/// A notify FIFO and the script that reads it (started with the FIFO's path appended).
public struct FifoPlan: Hashable, Sendable {
    /// The FIFO.
    public var path: String
    /// Its reader.
    public var script: ProgramSpec?
}

/// A `vrrp_sync_group`.
public struct SyncGroupPlan: Hashable, Sendable {
    /// The name.
    public var name: String
    /// Member instance names.
    public var members: [String]
    /// The group's notify scripts.
    public var notify: NotifyPlan
    /// `smtp_alert` in effect for the group (its own, else `smtp_alert_vrrp`, else `smtp_alert`).
    public var smtpAlert = false
}

/// `lvs_sync_daemon IF INSTANCE ...`.
public struct SyncDaemonPlan: Hashable, Sendable {
    /// The multicast interface.
    public var interface: String
    /// The instance it follows (`nil`: master and backup both run all the time).
    public var instance: String?
    /// The sync id.
    public var syncID: UInt32
    public var maxLength: UInt16?
    public var port: UInt16?
    public var ttl: UInt8?
    /// The group as text (IPv4 or IPv6).
    public var group: String?
}
