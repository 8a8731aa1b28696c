import IPVSKit

/// The rules keepalived applies when a virtual_server block ends: defaults that warn, port rules, duplicates,
/// empty services, quorum clamping.
extension Parser {
    mutating func finish() {
        var seen: [String: ConfigLocation] = [:]
        for var vs in parsedVirtualServers {
            guard applyRules(to: &vs) else { continue }
            let identity = "\(vs.address)|\(vs.protocolType)|\(vs.family.map { "\($0)" } ?? "")"
            if let first = seen[identity] {
                log.warning(.adjusted, vs.location,
                            "virtual_server \(describe(vs)) is already defined at \(first) - ignoring this one")
                continue
            }
            seen[identity] = vs.location
            checkDirectorTier(vs)
            configuration.virtualServers.append(vs)
        }
        finishVRRP()
        finishMail()
    }

    func describe(_ vs: VirtualServer) -> String {
        switch vs.address {
        case .endpoint(let a, let p): "\(a.bracketed):\(p)"
        case .firewallMark(let m): "fwmark \(m)"
        case .group(let g): "group \(g)"
        }
    }

    /// Applies the rules; returns `false` if the virtual server is dropped.
    private mutating func applyRules(to vs: inout VirtualServer) -> Bool {
        let name = describe(vs)
        var servicePort: UInt16 = 0
        var needsProtocol = false
        var family: AddressFamily? = vs.family
        switch vs.address {
        case .endpoint(let a, let p):
            servicePort = p
            needsProtocol = true
            family = a.family
        case .firewallMark:
            break
        case .group(let groupName):
            guard let group = configuration.group(named: groupName) else {
                log.error(.syntax, vs.location, "virtual_server group '\(groupName)': no virtual_server_group of that name")
                return false
            }
            guard !group.entries.isEmpty else {
                log.warning(.adjusted, vs.location,
                            "virtual_server group '\(groupName)': the group is empty - ignoring this virtual_server")
                return false
            }
            needsProtocol = group.entries.contains {
                if case .addresses = $0.target { return true } else { return false }
            }
            if case .addresses(let first, _)? = group.entries.first?.target { family = first.family }
        }
        if needsProtocol && !vs.protocolWasGiven {
            log.warning(.defaulted, vs.location, "virtual_server \(name) has no 'protocol' - defaulting to UDP")
        }
        if !vs.methodWasGiven {
            log.warning(.defaulted, vs.location, "virtual_server \(name) has no 'lvs_method' - defaulting to NAT")
        }
        if vs.flags.contains(.onePacket) && needsProtocol && vs.protocolType != .udp {
            log.warning(.adjusted, vs.location, "virtual_server \(name): 'ops' only applies to UDP - ignoring it")
            vs.flags.remove(.onePacket)
        }

        // Port rules and duplicates.
        var kept: [RealServer] = []
        var keys: [DestinationKey: ConfigLocation] = [:]
        let isFirewallMark: Bool = { if case .firewallMark = vs.address { return true } else { return false } }()
        for var rs in vs.realServers {
            if rs.method.forwarding == .masquerade {
                if !rs.portWasGiven { rs.port = servicePort }
            } else if isFirewallMark {
                if rs.portWasGiven && rs.port != 0 {
                    log.warning(.adjusted, rs.location,
                                "real_server \(rs.address.bracketed):\(rs.port): a \(rs.method.keyword) real server of a fwmark service has no port - ignoring the port")
                }
                rs.port = 0
            } else if case .endpoint = vs.address {
                if rs.portWasGiven && rs.port != servicePort {
                    log.warning(.adjusted, rs.location,
                                "real_server \(rs.address.bracketed):\(rs.port): \(rs.method.keyword) real servers use the virtual server's port - using \(servicePort)")
                }
                rs.port = servicePort
            }
            if let family, rs.address.family != family, rs.method.forwarding != .tunnel {
                log.error(.invalidValue, rs.location,
                          "real_server \(rs.address): its address family differs from virtual_server \(name) (only TUN real servers may differ)")
                continue
            }
            let key = DestinationKey(address: rs.address, port: rs.port)
            if let first = keys[key] {
                log.warning(.adjusted, rs.location,
                            "real_server \(key) duplicates the one at \(first) - ignoring this one")
                continue
            }
            keys[key] = rs.location
            for checker in rs.checkers where checker.kind.hasConnection && checker.kind != .ping
                && checker.target(of: rs).port == 0 {
                log.warning(.adjusted, checker.location,
                            "\(checker.kind.rawValue) for real_server \(rs.address) has no port to connect to; set 'connect_port'")
            }
            kept.append(rs)
        }
        vs.realServers = kept
        if vs.family == nil, isFirewallMark {
            vs.family = kept.first(where: { $0.method.forwarding != .tunnel })?.address.family ?? kept.first?.address.family
        }

        if var sorry = vs.sorryServer {
            let method = sorry.method ?? vs.method
            if method.forwarding == .masquerade {
                if sorry.port == 0 { sorry.port = servicePort }
            } else {
                sorry.port = isFirewallMark ? 0 : servicePort
            }
            vs.sorryServer = sorry
        }

        if vs.realServers.isEmpty && vs.sorryServer == nil {
            log.warning(.adjusted, vs.location, "virtual_server \(name) has no real servers - ignoring it")
            return false
        }

        // Quorum is clamped to the total weight, hysteresis to quorum - 1.
        let total = vs.realServers.reduce(UInt64(0)) { $0 + UInt64(max($1.weight, 0)) }
        if total > 0 && UInt64(vs.quorum) > total {
            log.warning(.adjusted, vs.location,
                        "virtual_server \(name): quorum \(vs.quorum) is above the total weight \(total) - using \(total)")
            vs.quorum = UInt32(total)
        }
        if vs.hysteresis > 0 && vs.hysteresis >= vs.quorum {
            let clamped = vs.quorum - 1
            log.warning(.adjusted, vs.location,
                        "virtual_server \(name): hysteresis \(vs.hysteresis) must be below quorum \(vs.quorum) - using \(clamped)")
            vs.hysteresis = clamped
        }
        return true
    }
}
