import IPVSKit

/// Turns parsed virtual servers into the IPVS entries they describe.
///
/// The entries are the *configured* table: every real server at its configured weight. Health state (down real
/// servers removed or at weight 0, sorry servers, quorum) is the director's business; it can start from these.
public enum IPVSMapping {
    /// The most addresses one `virtual_server_group` range may expand to.
    public static let maximumRangeSize = 65_536

    /// One kernel service a virtual server stands for, with the port its real servers inherit.
    public struct ServiceInstance: Hashable, Sendable {
        /// The kernel identity.
        public var key: ServiceKey
        /// The virtual_server_group entry it comes from, if any.
        public var groupEntry: VirtualServerGroupEntry?
    }

    /// The kernel services of `vs`: one for an address or fwmark, one per address or mark of its group.
    public static func serviceKeys(for vs: VirtualServer, in configuration: KeepalivedConfiguration) -> [ServiceInstance] {
        switch vs.address {
        case .endpoint(let address, let port):
            return [ServiceInstance(key: .address(vs.protocolType, address, port: port), groupEntry: nil)]
        case .firewallMark(let mark):
            return [ServiceInstance(key: .firewallMark(mark, family: vs.family ?? .inet), groupEntry: nil)]
        case .group(let name):
            guard let group = configuration.group(named: name) else { return [] }
            var result: [ServiceInstance] = []
            for entry in group.entries {
                switch entry.target {
                case .firewallMark(let mark, let family):
                    let f = family ?? vs.family ?? vs.realServers.first?.address.family ?? .inet
                    result.append(ServiceInstance(key: .firewallMark(mark, family: f), groupEntry: entry))
                case .addresses(let first, let last):
                    for address in expand(first, last) {
                        result.append(ServiceInstance(key: .address(vs.protocolType, address, port: entry.port),
                                                      groupEntry: entry))
                    }
                }
            }
            return result
        }
    }

    /// The addresses from `first` to `last` inclusive, at most ``maximumRangeSize``.
    public static func expand(_ first: IPAddress, _ last: IPAddress) -> [IPAddress] {
        var result: [IPAddress] = []
        switch (first, last) {
        case (.v4(let a), .v4(let b)) where a <= b:
            var v = a
            while result.count < maximumRangeSize {
                result.append(.v4(v))
                if v == b { break }
                v += 1
            }
        case (.v6(let ah, let al), .v6(let bh, let bl)) where (ah, al) <= (bh, bl):
            var hi = ah
            var lo = al
            while result.count < maximumRangeSize {
                result.append(.v6(hi, lo))
                if hi == bh && lo == bl { break }
                if lo == UInt64.max { hi += 1; lo = 0 } else { lo += 1 }
            }
        default:
            break
        }
        return result
    }

    /// The kernel service for `vs` under `key`.
    public static func service(for vs: VirtualServer, key: ServiceKey) -> Service {
        let family = key.family
        var netmask = Service.hostMask(for: family)
        if let prefix = vs.persistenceGranularity {
            switch family {
            case .inet: netmask = prefix == 0 ? 0 : UInt32.max << (32 - min(prefix, 32))
            case .inet6: netmask = max(1, min(prefix, 128))
            }
        }
        var flags = vs.flags
        if case .address(let proto, _, _) = key, proto != .udp { flags.remove(.onePacket) }
        return Service(key: key, scheduler: vs.scheduler, flags: flags,
                       persistenceTimeout: vs.persistenceTimeout ?? 0, netmask: netmask,
                       persistenceEngine: vs.persistenceEngine)
    }

    /// The port of a real server within a service whose port is `servicePort`: a NAT real server keeps a port it
    /// was given (else the service's); DR and TUN take the service's, and none for a fwmark service.
    public static func destinationPort(of rs: RealServer, servicePort: UInt16, isFirewallMark: Bool) -> UInt16 {
        if rs.method.forwarding == .masquerade { return rs.portWasGiven ? rs.port : servicePort }
        return isFirewallMark ? 0 : servicePort
    }

    /// The kernel destination for `rs` at its configured weight.
    public static func destination(for rs: RealServer, in key: ServiceKey) -> Destination {
        let (servicePort, isMark) = portInfo(key)
        return Destination(address: rs.address,
                           port: destinationPort(of: rs, servicePort: servicePort, isFirewallMark: isMark),
                           forwarding: rs.method.forwarding, weight: rs.weight, upperThreshold: rs.upperThreshold,
                           lowerThreshold: rs.lowerThreshold,
                           tunnel: rs.method.forwarding == .tunnel ? rs.method.tunnel : TunnelSettings())
    }

    /// The kernel destination for the sorry server of `vs` in `key`, at weight 0 when `sorry_server_inhibit` is set
    /// (the director adds it when quorum is lost).
    public static func sorryDestination(for vs: VirtualServer, in key: ServiceKey) -> Destination? {
        guard let sorry = vs.sorryServer else { return nil }
        let method = sorry.method ?? vs.method
        let (servicePort, isMark) = portInfo(key)
        let port: UInt16
        if method.forwarding == .masquerade {
            port = sorry.port != 0 ? sorry.port : servicePort
        } else {
            port = isMark ? 0 : servicePort
        }
        return Destination(address: sorry.address, port: port, forwarding: method.forwarding,
                           weight: vs.sorryServerInhibit ? 0 : 1,
                           tunnel: method.forwarding == .tunnel ? method.tunnel : TunnelSettings())
    }

    /// Every kernel entry `vs` configures: one per service key, with all its real servers at their configured
    /// weights (the sorry server is not included).
    public static func entries(for vs: VirtualServer, in configuration: KeepalivedConfiguration) -> [ServiceEntry] {
        serviceKeys(for: vs, in: configuration).map { instance in
            ServiceEntry(service: service(for: vs, key: instance.key),
                         destinations: vs.realServers.map { destination(for: $0, in: instance.key) })
        }
    }

    /// Every kernel entry of the configuration, in file order.
    public static func entries(for configuration: KeepalivedConfiguration) -> [ServiceEntry] {
        configuration.virtualServers.flatMap { entries(for: $0, in: configuration) }
    }

    private static func portInfo(_ key: ServiceKey) -> (UInt16, Bool) {
        switch key {
        case .address(_, _, let port): (port, false)
        case .firewallMark: (0, true)
        }
    }
}
