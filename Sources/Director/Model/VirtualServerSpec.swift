import IPVSKit

/// `virtual_server_group NAME { ... }` expanded to the kernel services it stands for.
public struct VirtualServerGroupSpec: Hashable, Sendable {
    /// The group's name.
    public var name: String
    /// One kernel service per address (ranges already expanded) or firewall mark.
    public var members: [ServiceKey]
    /// Creates a group.
    public init(name: String, members: [ServiceKey]) {
        self.name = name
        self.members = members
    }
}

/// A configured virtual server: the kernel service plus keepalived's director settings.
public struct VirtualServerSpec: Hashable, Sendable {
    /// The kernel service: key, scheduler (`lvs_sched`), flags, persistence. For a group, the key is ignored and
    /// the other settings apply to every member.
    public var service: Service
    /// Set for `virtual_server group NAME`.
    public var group: VirtualServerGroupSpec?
    /// `lvs_method` of the virtual server: used by a sorry server without `sorry_server_lvs_method`.
    public var forwarding: ForwardingMethod
    /// The real servers, in configuration order.
    public var realServers: [RealServerSpec]
    /// `quorum` (default 1); clamped to the total configured weight.
    public var quorum: UInt32
    /// `hysteresis` (default 0); clamped to `quorum - 1`.
    public var hysteresis: UInt32
    /// `quorum_up`.
    public var quorumUp: ScriptCommand?
    /// `quorum_down`.
    public var quorumDown: ScriptCommand?
    /// `sorry_server`.
    public var sorryServer: SorryServerSpec?
    /// `alpha`: real servers start down (inherited by real servers and checkers).
    public var alpha: Bool
    /// `omega`: run down notifiers at shutdown.
    public var omega: Bool
    /// `inhibit_on_failure` (inherited by real servers).
    public var inhibitOnFailure: Bool
    /// lvsd's `drain_timeout`: a real server removed from the configuration is set to weight 0 and deleted when its
    /// connections (active + inactive) reach 0 or this much time has passed; when the whole virtual server is
    /// removed, all its destinations drain that way and the service is deleted after the last. `nil`: deleted at
    /// once, as keepalived does.
    public var drainTimeout: Duration?

    /// Creates a virtual server description with keepalived's defaults.
    public init(
        service: Service,
        group: VirtualServerGroupSpec? = nil,
        forwarding: ForwardingMethod = .masquerade,
        realServers: [RealServerSpec],
        quorum: UInt32 = 1,
        hysteresis: UInt32 = 0,
        quorumUp: ScriptCommand? = nil,
        quorumDown: ScriptCommand? = nil,
        sorryServer: SorryServerSpec? = nil,
        alpha: Bool = false,
        omega: Bool = false,
        inhibitOnFailure: Bool = false,
        drainTimeout: Duration? = nil
    ) {
        self.service = service
        self.group = group
        self.forwarding = forwarding
        self.realServers = realServers
        self.quorum = quorum
        self.hysteresis = hysteresis
        self.quorumUp = quorumUp
        self.quorumDown = quorumDown
        self.sorryServer = sorryServer
        self.alpha = alpha
        self.omega = omega
        self.inhibitOnFailure = inhibitOnFailure
        self.drainTimeout = drainTimeout
    }

    /// The identity that survives reloads.
    public var id: VirtualServerID {
        if let group { return .group(group.name) }
        return .service(service.key)
    }

    /// The kernel services this virtual server manages.
    public var serviceKeys: [ServiceKey] {
        group?.members ?? [service.key]
    }

    /// The kernel services, each with this virtual server's scheduling settings.
    var services: [Service] {
        serviceKeys.map { key in
            var s = service
            s.key = key
            if s.key.family != service.key.family { s.netmask = Service.hostMask(for: key.family) }
            s.stats = Stats()
            return s
        }
    }

    /// The protocol name keepalived prints in real-server addresses.
    var protocolName: String {
        for key in serviceKeys {
            if case .address = key { return key.keepalivedProtocolName }
        }
        return "none"
    }

    /// The port real servers of non-NAT methods are forced to (0 for firewall marks or groups of marks).
    var forcedPort: UInt16? {
        switch serviceKeys.first {
        case .address(_, _, let port)?: port
        case .firewallMark?: 0
        case nil: nil
        }
    }
}
