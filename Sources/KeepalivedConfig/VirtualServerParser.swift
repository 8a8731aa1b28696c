import IPVSKit

extension Parser {
    // MARK: virtual_server

    mutating func parseVirtualServer(_ node: ConfigNode) -> VirtualServer? {
        guard let vsAddress = virtualServerAddress(node) else {
            return nil
        }
        guard let block = requireBlock(node) else { return nil }
        var vs = VirtualServer(location: node.location, address: vsAddress)
        var realServerNodes: [ConfigNode] = []
        var sorryMethod: (method: LVSMethod, location: ConfigLocation)?
        for child in block {
            switch child.name {
            case "lvs_sched", "lb_algo":
                if child.name == "lb_algo" { deprecated(child, "lvs_sched") }
                guard let token = argument(child, "a scheduler") else { continue }
                if Defaults.schedulers.contains(token.text) {
                    vs.scheduler = token.text
                } else {
                    invalid(child, token, "unknown scheduler (expected one of \(Defaults.schedulers.sorted().joined(separator: " ")))")
                }
            case "lvs_method", "lb_kind":
                if child.name == "lb_kind" { deprecated(child, "lvs_method") }
                if let method = lvsMethod(child) {
                    vs.method = method
                    vs.methodWasGiven = true
                }
            case "ops":
                noArguments(child)
                vs.flags.insert(.onePacket)
            case "flag-1", "flag-2", "flag-3":
                noArguments(child)
                vs.flags.insert(child.name == "flag-1" ? .scheduler1 : child.name == "flag-2" ? .scheduler2 : .scheduler3)
            case "sh-port", "sh-fallback", "mh-port", "mh-fallback":
                noArguments(child)
                let scheduler = String(child.name.prefix(2))
                if vs.scheduler != scheduler {
                    log.warning(.adjusted, child.location,
                                "'\(child.name)' only applies to the \(scheduler) scheduler (lvs_sched is \(vs.scheduler) here) - ignoring it")
                } else {
                    vs.flags.insert(child.name.hasSuffix("-port") ? .scheduler2 : .scheduler1)
                }
            case "hashed":
                noArguments(child)
            case "persistence_timeout":
                rejectBlock(child)
                if let token = child.arguments.first {
                    if let v = unsigned(child, token, in: 1...UInt64(UInt32.max)) { vs.persistenceTimeout = UInt32(v) }
                } else {
                    vs.persistenceTimeout = Defaults.persistenceTimeout
                }
            case "persistence_granularity":
                guard let token = argument(child, "a netmask or prefix length") else { continue }
                let family: AddressFamily = {
                    if case .endpoint(let a, _) = vsAddress { return a.family }
                    return vs.family ?? .inet
                }()
                if let prefix = ConfigValue.granularityPrefix(token.text, family: family) {
                    vs.persistenceGranularity = prefix
                    if vs.persistenceTimeout == nil { vs.persistenceTimeout = Defaults.persistenceTimeout }
                } else {
                    invalid(child, token, family == .inet ? "expected a netmask or a prefix length 0-32"
                                                          : "expected a prefix length 1-128")
                }
            case "persistence_engine":
                guard let token = argument(child, "an engine name") else { continue }
                if token.text == "sip" { vs.persistenceEngine = token.text } else { invalid(child, token, "expected sip") }
            case "protocol":
                guard let token = argument(child, "TCP, UDP or SCTP") else { continue }
                switch token.text.uppercased() {
                case "TCP": vs.protocolType = .tcp
                case "UDP": vs.protocolType = .udp
                case "SCTP": vs.protocolType = .sctp
                default:
                    invalid(child, token, "expected TCP, UDP or SCTP")
                    continue
                }
                vs.protocolWasGiven = true
                if case .firewallMark = vsAddress {
                    log.warning(.adjusted, child.location, "'protocol' is ignored on a fwmark virtual_server")
                }
            case "ip_family":
                guard let token = argument(child, "inet or inet6") else { continue }
                switch token.text {
                case "inet": vs.family = .inet
                case "inet6": vs.family = .inet6
                default: invalid(child, token, "expected inet or inet6")
                }
            case "ha_suspend":
                noArguments(child)
                if case .firewallMark = vsAddress {
                    log.warning(.adjusted, child.location, "'ha_suspend' is not allowed on a fwmark virtual_server - ignoring it")
                } else {
                    vs.haSuspend = true
                }
            case "virtualhost":
                vs.virtualhost = string(child)
            case "alpha":
                noArguments(child)
                vs.alpha = true
            case "omega":
                noArguments(child)
                vs.omega = true
            case "quorum":
                if let v = unsigned(child, in: 1...UInt64(UInt32.max)) { vs.quorum = UInt32(v) }
            case "hysteresis":
                if let v = unsigned(child, in: 0...UInt64(UInt32.max)) { vs.hysteresis = UInt32(v) }
            case "quorum_up":
                vs.quorumUp = script(child)
            case "quorum_down":
                vs.quorumDown = script(child)
            case "weight":
                if let v = unsigned(child, in: 0...UInt64(Int32.max)) { vs.defaultWeight = Int32(v) }
            case "sorry_server":
                rejectBlock(child)
                guard let first = child.arguments.first else {
                    log.error(.syntax, child.location, "'sorry_server' needs an address")
                    continue
                }
                guard let ip = address(child, first) else { continue }
                var p: UInt16 = 0
                if child.arguments.count > 1 {
                    guard let given = port(child, child.arguments[1]) else { continue }
                    p = given
                }
                vs.sorryServer = SorryServer(address: ip, port: p, method: nil, location: child.location)
            case "sorry_server_inhibit":
                noArguments(child)
                vs.sorryServerInhibit = true
            case "sorry_server_lvs_method":
                if let method = lvsMethod(child) { sorryMethod = (method, child.location) }
            case "delay_loop":
                if let t = positiveTimer(child) { vs.delayLoop = t }
            case "connect_timeout":
                if let t = positiveTimer(child) { vs.connectTimeout = t }
            case "retry":
                if let v = unsigned(child, in: 1...UInt64(UInt32.max)) { vs.retry = UInt32(v) }
            case "delay_before_retry":
                if let t = timer(child) { vs.delayBeforeRetry = t }
            case "warmup":
                if let t = timer(child) { vs.warmup = t }
            case "inhibit_on_failure":
                noArguments(child)
                vs.inhibitOnFailure = true
            case "smtp_alert":
                if let v = optionalBool(child) { vs.smtpAlert = v }
            case "snmp_name":
                vs.snmpName = string(child)
            case "drain_timeout":
                if let t = timer(child) { vs.drainTimeout = t }
            case "announce":
                vs.announce = parseAnnounce(child)
            case "nat_mask":
                rejectBlock(child)
                log.warning(.obsolete, child.location, "'nat_mask' is obsolete - ignoring it")
            case "real_server":
                realServerNodes.append(child)
            case "laddr_group_name", "daddr_group_name", "syn_proxy", "establish_timeout":
                log.error(.unknownKeyword, child.location,
                          "'\(child.name)' is a DPVS-fork keyword; lvsd (like keepalived) does not support it")
            default:
                unknown(child, in: "virtual_server")
            }
        }
        if let sorryMethod {
            if vs.sorryServer == nil {
                log.warning(.adjusted, sorryMethod.location, "'sorry_server_lvs_method' without a 'sorry_server' - ignoring it")
            } else {
                vs.sorryServer?.method = sorryMethod.method
            }
        }
        // Real servers are parsed after the virtual server's own keywords, whatever the order in the file, so that
        // they inherit the final values (as keepalived's end-of-block processing does).
        for rsNode in realServerNodes {
            if let rs = parseRealServer(rsNode, of: vs) { vs.realServers.append(rs) }
        }
        return vs
    }

    private mutating func virtualServerAddress(_ node: ConfigNode) -> VirtualServerAddress? {
        let args = node.arguments
        guard let first = args.first else {
            log.error(.syntax, node.location, "'virtual_server' needs an address and port, 'fwmark N' or 'group NAME'")
            return nil
        }
        switch first.text {
        case "fwmark":
            guard args.count >= 2 else {
                log.error(.syntax, node.location, "'virtual_server fwmark' needs a mark")
                return nil
            }
            guard let mark = unsigned(node, args[1], in: 1...UInt64(UInt32.max)) else { return nil }
            extraHeaderWords(node, after: 2)
            return .firewallMark(UInt32(mark))
        case "group":
            guard args.count >= 2 else {
                log.error(.syntax, node.location, "'virtual_server group' needs a group name")
                return nil
            }
            extraHeaderWords(node, after: 2)
            return .group(args[1].text)
        default:
            guard let ip = address(node, first) else { return nil }
            var p: UInt16 = 0
            if args.count >= 2 {
                guard let given = port(node, args[1]) else { return nil }
                p = given
            }
            extraHeaderWords(node, after: 2)
            return .endpoint(ip, port: p)
        }
    }

    private mutating func extraHeaderWords(_ node: ConfigNode, after count: Int) {
        if node.arguments.count > count {
            log.warning(.syntax, node.location,
                        "'\(node.name)': extra words ignored: \(node.arguments.dropFirst(count).map(\.raw).joined(separator: " "))")
        }
    }

    mutating func deprecated(_ node: ConfigNode, _ replacement: String) {
        log.warning(.deprecated, node.location, "'\(node.name)' is deprecated; use '\(replacement)'")
    }

    /// `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`.
    mutating func lvsMethod(_ node: ConfigNode) -> LVSMethod? {
        rejectBlock(node)
        let args = node.arguments
        guard let first = args.first else {
            log.error(.syntax, node.location, "'\(node.name)' needs NAT, DR or TUN")
            return nil
        }
        var method: LVSMethod
        switch first.text {
        case "NAT": method = LVSMethod(forwarding: .masquerade)
        case "DR": method = LVSMethod(forwarding: .route)
        case "TUN": method = LVSMethod(forwarding: .tunnel)
        case "FNAT":
            log.error(.invalidValue, first.location,
                      "invalid value 'FNAT' for '\(node.name)': FNAT is a DPVS-fork method; expected NAT, DR or TUN")
            return nil
        default:
            invalid(node, first, "expected NAT, DR or TUN")
            return nil
        }
        var index = 1
        if index < args.count && method.forwarding != .tunnel {
            log.warning(.syntax, node.location, "'\(node.name) \(first.text)': extra words ignored")
            return method
        }
        var portGiven = false
        while index < args.count {
            let word = args[index]
            switch word.text {
            case "type":
                guard index + 1 < args.count else {
                    log.error(.syntax, word.location, "'\(node.name) TUN type' needs ipip, gue or gre")
                    return nil
                }
                let type = args[index + 1]
                switch type.text {
                case "ipip": method.tunnel.type = .ipip
                case "gue": method.tunnel.type = .gue
                case "gre": method.tunnel.type = .gre
                default:
                    invalid(node, type, "expected ipip, gue or gre")
                    return nil
                }
                index += 2
            case "port":
                guard index + 1 < args.count else {
                    log.error(.syntax, word.location, "'\(node.name) TUN ... port' needs a port")
                    return nil
                }
                guard let p = unsigned(node, args[index + 1], in: 1...65535) else { return nil }
                method.tunnel.port = UInt16(p)
                portGiven = true
                index += 2
            case "nocsum":
                method.tunnel.checksum = .none
                index += 1
            case "csum":
                method.tunnel.checksum = .checksum
                index += 1
            case "remcsum":
                method.tunnel.checksum = .remote
                index += 1
            default:
                invalid(node, word, "expected type, port, nocsum, csum or remcsum")
                return nil
            }
        }
        if method.tunnel.type == .gue && !portGiven {
            log.error(.syntax, node.location, "'\(node.name) TUN type gue' needs 'port N'")
            return nil
        }
        if method.tunnel.type != .gue && portGiven {
            log.warning(.syntax, node.location, "'\(node.name)': a tunnel port only applies to gue - ignoring it")
            method.tunnel.port = 0
        }
        if method.tunnel.checksum == .remote && method.tunnel.type != .gue {
            invalid(node, args[args.count - 1], "remcsum only applies to gue tunnels")
            return nil
        }
        return method
    }

    // MARK: virtual_server_group

    mutating func parseVirtualServerGroup(_ node: ConfigNode) -> VirtualServerGroup? {
        guard let name = node.arguments.first else {
            log.error(.syntax, node.location, "'virtual_server_group' needs a name")
            return nil
        }
        guard let block = requireBlock(node) else { return nil }
        if configuration.group(named: name.text) != nil {
            log.error(.syntax, node.location, "virtual_server_group '\(name.text)' is defined twice")
            return nil
        }
        var group = VirtualServerGroup(name: name.text, location: node.location, entries: [])
        for entry in block {
            rejectBlock(entry)
            if entry.name == "fwmark" {
                guard let markToken = entry.arguments.first else {
                    log.error(.syntax, entry.location, "'fwmark' needs a mark")
                    continue
                }
                guard let mark = unsigned(entry, markToken, in: 1...UInt64(UInt32.max)) else { continue }
                var family: AddressFamily?
                if entry.arguments.count > 1 {
                    switch entry.arguments[1].text {
                    case "inet": family = .inet
                    case "inet6": family = .inet6
                    default:
                        invalid(entry, entry.arguments[1], "expected inet or inet6")
                        continue
                    }
                }
                group.entries.append(VirtualServerGroupEntry(target: .firewallMark(UInt32(mark), family: family), port: 0,
                                                             location: entry.location))
                continue
            }
            guard let range = addressRange(entry.keyword, owner: entry) else { continue }
            var p: UInt16 = 0
            if let portToken = entry.arguments.first {
                guard let given = port(entry, portToken) else { continue }
                p = given
            }
            if entry.arguments.count > 1 { extraHeaderWords(entry, after: 1) }
            if !Self.rangeFits(range.0, range.1) {
                log.error(.invalidValue, entry.location,
                          "invalid virtual_server_group entry '\(entry.keyword.raw)': more than \(IPVSMapping.maximumRangeSize) addresses")
                continue
            }
            group.entries.append(VirtualServerGroupEntry(target: .addresses(first: range.0, last: range.1), port: p,
                                                         location: entry.location))
        }
        if group.entries.isEmpty {
            log.warning(.adjusted, node.location, "virtual_server_group '\(name.text)' is empty - ignoring it")
        }
        return group
    }

    /// `IP`, `IP-LASTOCTET`, `IP-IP` or `IP/LEN` (zero host bits) as an inclusive range.
    private mutating func addressRange(_ token: Token, owner: ConfigNode) -> (IPAddress, IPAddress)? {
        let text = token.text
        let why = "expected IP, IP-LASTOCTET (or IP-IP) or IP/LEN"
        if let slash = text.firstIndex(of: "/") {
            guard let base = IPAddress(text[..<slash]),
                  let length = ConfigValue.unsigned(String(text[text.index(after: slash)...]),
                                                    in: 0...(base.family == .inet ? 32 : 128)) else {
                log.error(.invalidValue, token.location, "invalid virtual_server_group entry '\(token.raw)': \(why)")
                return nil
            }
            guard let last = Self.lastAddress(base, prefix: Int(length)) else {
                log.error(.invalidValue, token.location,
                          "invalid virtual_server_group entry '\(token.raw)': the host bits must be zero")
                return nil
            }
            return (base, last)
        }
        if let dash = text.lastIndex(of: "-") {
            guard let first = IPAddress(text[..<dash]) else {
                log.error(.invalidValue, token.location, "invalid virtual_server_group entry '\(token.raw)': \(why)")
                return nil
            }
            let tail = String(text[text.index(after: dash)...])
            let last: IPAddress?
            if let full = IPAddress(tail) {
                last = full.family == first.family ? full : nil
            } else {
                last = Self.replacingLastPart(of: first, with: tail)
            }
            guard let last, first <= last else {
                log.error(.invalidValue, token.location,
                          "invalid virtual_server_group entry '\(token.raw)': the range end must not be below its start")
                return nil
            }
            return (first, last)
        }
        guard let ip = IPAddress(text) else {
            log.error(.invalidValue, token.location, "invalid virtual_server_group entry '\(token.raw)': \(why)")
            return nil
        }
        return (ip, ip)
    }

    static func rangeFits(_ first: IPAddress, _ last: IPAddress) -> Bool {
        switch (first, last) {
        case (.v4(let a), .v4(let b)): return UInt64(b) - UInt64(a) < UInt64(IPVSMapping.maximumRangeSize)
        case (.v6(let ah, let al), .v6(let bh, let bl)):
            return ah == bh && bl - al < UInt64(IPVSMapping.maximumRangeSize)
        default: return false
        }
    }

    /// `10.0.0.1` with `20` gives `10.0.0.20`; for IPv6 the last 16-bit group is replaced (hex).
    static func replacingLastPart(of address: IPAddress, with text: String) -> IPAddress? {
        switch address {
        case .v4(let v):
            guard let octet = ConfigValue.unsigned(text, in: 0...255) else { return nil }
            return .v4(v & 0xFFFF_FF00 | UInt32(octet))
        case .v6(let hi, let lo):
            guard !text.isEmpty, text.count <= 4, let group = UInt64(text, radix: 16) else { return nil }
            return .v6(hi, lo & ~0xFFFF | group)
        }
    }

    /// The last address of `base/prefix`, or `nil` if `base` has host bits set.
    static func lastAddress(_ base: IPAddress, prefix: Int) -> IPAddress? {
        switch base {
        case .v4(let v):
            let hostMask: UInt32 = prefix == 0 ? UInt32.max : prefix >= 32 ? 0 : UInt32.max >> UInt32(prefix)
            guard v & hostMask == 0 else { return nil }
            return .v4(v | hostMask)
        case .v6(let hi, let lo):
            let hiMask: UInt64 = prefix >= 64 ? 0 : prefix == 0 ? UInt64.max : UInt64.max >> UInt64(prefix)
            let loMask: UInt64 = prefix <= 64 ? UInt64.max : prefix >= 128 ? 0 : UInt64.max >> UInt64(prefix - 64)
            guard hi & hiMask == 0, lo & loMask == 0 else { return nil }
            return .v6(hi | hiMask, lo | loMask)
        }
    }
}
