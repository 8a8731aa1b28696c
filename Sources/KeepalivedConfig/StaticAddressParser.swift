import IPVSKit

/// Address and route lines (`virtual_ipaddress`, `virtual_ipaddress_excluded`, `virtual_routes`,
/// `static_ipaddress`, `static_routes`), read as keepalived 2.2.7's `alloc_ipaddress` and `alloc_route` read them.
extension Parser {
    mutating func parseStaticAddresses(_ node: ConfigNode) {
        guard let lines = requireBlock(node) else { return }
        rejectArguments(node)
        for line in lines {
            if let address = parseVRRPAddress(line, isStatic: true) { vrrp.staticAddresses.append(address) }
        }
    }

    mutating func parseStaticRoutes(_ node: ConfigNode) {
        guard let lines = requireBlock(node) else { return }
        rejectArguments(node)
        for line in lines {
            if let route = parseVRRPRoute(line) { vrrp.staticRoutes.append(route) }
        }
    }

    /// `IP[/len]` as keepalived's `parse_ipaddress` reads it: a bad prefix keeps the full length (error), a bad
    /// address drops the line (error).
    private mutating func addressWithPrefix(_ token: Token, at location: ConfigLocation) -> (IPAddress, UInt8)? {
        let text = token.text
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let ip = IPAddress(parts[0]), !parts[0].hasPrefix("[") else {
            log.error(.invalidValue, location, "invalid IP address '\(token.raw)' - skipping it")
            return nil
        }
        let full: UInt8 = ip.family == .inet ? 32 : 128
        var prefix = full
        if parts.count == 2 {
            if let p = ConfigValue.unsigned(String(parts[1]), in: 0...UInt64(full)) {
                prefix = UInt8(p)
            } else {
                log.error(.invalidValue, location, "invalid address prefix length '\(parts[1])' for \(parts[0]) - using \(full)")
            }
        }
        return (ip, prefix)
    }

    /// One address line. `nil` when keepalived would drop it (each drop reported).
    mutating func parseVRRPAddress(_ line: ConfigNode, isStatic: Bool) -> VRRPAddress? {
        rejectBlock(line)
        guard let parsed = addressWithPrefix(line.keyword, at: line.location) else { return nil }
        let (ip, prefix) = parsed
        var entry = VRRPAddress(address: ip, prefixLength: prefix, location: line.location)
        let args = line.arguments
        var index = 0
        var broadcastMode: Character?
        var hadBroadcast = false
        var lifetimeGiven = false
        let what = line.keyword.raw
        while index < args.count {
            let option = args[index]
            let valueNeeded: Set<String> = ["dev", "scope", "broadcast", "brd", "label", "peer", "preferred_lft"]
            if valueNeeded.contains(option.text) || (isStatic && option.text == "track_group") {
                guard index + 1 < args.count else {
                    log.error(.syntax, option.location, "no \(option.raw) parameter specified for \(what) - skipping the address")
                    return nil
                }
            }
            switch option.text {
            case "dev":
                if entry.device != nil {
                    log.error(.invalidValue, option.location, "cannot specify the device more than once for \(what) - skipping the address")
                    return nil
                }
                index += 1
                guard let ifname = interfaceName(line, args[index]) else { return nil }
                entry.device = ifname
            case "scope":
                index += 1
                if let scope = Self.scope(args[index].text) {
                    entry.scope = scope
                } else {
                    log.error(.invalidValue, args[index].location, "invalid scope '\(args[index].raw)' for \(what) - ignoring it")
                }
            case "broadcast", "brd":
                index += 1
                if ip.family == .inet6 {
                    log.error(.invalidValue, option.location, "a broadcast address for the IPv6 address \(what) - skipping the address")
                    return nil
                }
                hadBroadcast = true
                switch args[index].text {
                case "+": broadcastMode = "+"
                case "-": broadcastMode = "-"
                default:
                    guard case .v4? = IPAddress(args[index].text) else {
                        log.error(.invalidValue, args[index].location, "invalid broadcast '\(args[index].raw)' - skipping the address")
                        return nil
                    }
                    entry.broadcast = IPAddress(args[index].text)
                }
            case "label":
                index += 1
                guard args[index].text.utf8.count < 16 else {
                    log.error(.invalidValue, args[index].location,
                              "address label \(args[index].raw) is longer than 15 characters - skipping the address")
                    return nil
                }
                entry.label = args[index].text
            case "peer":
                index += 1
                let peerToken = args[index]
                if entry.peer != nil {
                    log.warning(.adjusted, peerToken.location, "peer \(peerToken.raw) - another peer has already been specified")
                } else if let parsedPeer = addressWithPrefix(peerToken, at: peerToken.location) {
                    let (peer, peerPrefix) = parsedPeer
                    if peer.family != ip.family {
                        log.warning(.adjusted, peerToken.location, "peer address \(peerToken.raw) does not match the address family - ignoring it")
                    } else {
                        if prefix != (ip.family == .inet ? 32 : 128) {
                            log.warning(.adjusted, peerToken.location,
                                        "cannot specify an address prefix when specifying a peer address - ignoring the prefix")
                        }
                        entry.peer = peer
                        entry.prefixLength = peerPrefix
                    }
                }
            case "home": entry.home = true
            case "-nodad": entry.noDAD = true
            case "mngtmpaddr": entry.manageTemporaryAddress = true
            case "noprefixroute": entry.noPrefixRoute = true
            case "autojoin": entry.autoJoin = true
            case "no_track": entry.noTrack = true
            case "preferred_lft":
                index += 1
                if args[index].text == "forever" {
                    entry.preferredLifetime = UInt32.max
                    lifetimeGiven = true
                } else if let v = ConfigValue.unsigned(args[index].text, in: 0...UInt64(UInt32.max)) {
                    entry.preferredLifetime = UInt32(v)
                    lifetimeGiven = true
                } else {
                    log.error(.invalidValue, args[index].location, "preferred_lft '\(args[index].raw)' is invalid")
                }
            case "track_group" where isStatic:
                index += 1
                log.once("static:track_group", .notActedUpon, option.location,
                         "track_group on static addresses is parsed but not acted upon by lvsd")
            case "use_vmac" where !isStatic:
                entry.useVMAC = true
            default:
                log.warning(.adjusted, option.location, "unknown option '\(option.raw)' for ip address \(what) - ignoring it")
            }
            index += 1
        }
        if hadBroadcast && entry.peer != nil {
            log.warning(.adjusted, line.location, "cannot specify broadcast and peer addresses - ignoring the broadcast address")
            entry.broadcast = nil
        } else if let mode = broadcastMode {
            if entry.prefixLength <= 30, case .v4(let base) = entry.peer ?? ip {
                let hostMask: UInt32 = entry.prefixLength == 0 ? UInt32.max : UInt32.max >> UInt32(entry.prefixLength)
                entry.broadcast = .v4(mode == "+" ? base | hostMask : base & ~hostMask)
            } else {
                log.warning(.adjusted, line.location,
                            "address prefix length \(entry.prefixLength) too long for broadcast - no broadcast address")
            }
        }
        if ip.family == .inet6 {
            if entry.scope != nil {
                log.warning(.adjusted, line.location, "cannot specify scope for IPv6 addresses (\(what)) - ignoring scope")
                entry.scope = nil
            }
            if entry.label != nil {
                log.warning(.adjusted, line.location, "cannot specify label for IPv6 addresses (\(what)) - ignoring label")
                entry.label = nil
            }
            if !lifetimeGiven { entry.preferredLifetime = entry.prefixLength == 128 ? 0 : UInt32.max }
        }
        return entry
    }

    /// A scope name from iproute2's rt_scopes, or a number 0-255.
    static func scope(_ text: String) -> UInt8? {
        switch text {
        case "global", "universe": return 0
        case "site": return 200
        case "link": return 253
        case "host": return 254
        case "nowhere": return 255
        default: return ConfigValue.unsigned(text, in: 0...255).map { UInt8($0) }
        }
    }

    static let routeTypes: Set<String> = [
        "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw",
        "nat", "xresolve",
    ]

    static let routeProtocols: [String: UInt8] = [
        "unspec": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4, "gated": 8, "ra": 9, "mrt": 10, "zebra": 11,
        "bird": 12, "dnrouting": 13, "xorp": 14, "ntk": 15, "dhcp": 16, "keepalived": 18, "babel": 42, "bgp": 186,
        "isis": 187, "ospf": 188, "rip": 189, "eigrp": 192,
    ]

    static let routeTables: [String: UInt32] = ["default": 253, "main": 254, "local": 255]

    /// Route options that take one value and are kept as written for the rtnetlink layer.
    static let routeValueOptions: Set<String> = [
        "tos", "dsfield", "mtu", "hoplimit", "advmss", "rtt", "rttvar", "reordering", "window", "cwnd", "ssthresh",
        "realms", "rto_min", "initcwnd", "initrwnd", "features", "quickack", "congctl", "pref", "expires",
        "ttl-propagate", "from", "vrf", "track_group",
    ]

    /// One route line. `nil` when keepalived would drop it.
    mutating func parseVRRPRoute(_ line: ConfigNode) -> VRRPRoute? {
        rejectBlock(line)
        let words = [line.keyword] + line.arguments
        var route = VRRPRoute(destination: nil, prefixLength: 0, family: .inet, location: line.location)
        var family: AddressFamily?
        var haveDestination = false
        var protocolGiven: UInt8?
        var index = 0
        func mix(_ ip: IPAddress, _ log: inout DiagnosticLog, _ token: Token) -> Bool {
            if let family, family != ip.family {
                log.error(.invalidValue, token.location, "cannot mix IPv4 and IPv6 addresses for a route ('\(token.raw)') - skipping the route")
                return false
            }
            family = ip.family
            return true
        }
        while index < words.count {
            let word = words[index]
            let needsValue: Set<String> = ["src", "via", "gw", "or", "table", "protocol", "proto", "scope", "metric",
                                           "priority", "preference", "dev", "oif"]
            if needsValue.contains(word.text) || Self.routeValueOptions.contains(word.text) {
                guard index + 1 < words.count else {
                    log.error(.syntax, word.location, "route: '\(word.raw)' needs a value - skipping the route")
                    return nil
                }
            }
            switch word.text {
            case "inet", "inet6":
                let f: AddressFamily = word.text == "inet" ? .inet : .inet6
                if let family, family != f {
                    log.error(.invalidValue, word.location, "\(word.raw) specified for an IPv\(family == .inet ? 4 : 6) route - skipping the route")
                    return nil
                }
                family = f
            case "src":
                index += 1
                guard let ip = IPAddress(words[index].text) else {
                    log.error(.invalidValue, words[index].location, "invalid route src address '\(words[index].raw)' - skipping the route")
                    return nil
                }
                guard mix(ip, &log, words[index]) else { return nil }
                route.source = ip
            case "via", "gw":
                if word.text == "gw" { log.warning(.deprecated, word.location, "\"gw\" for routes is deprecated; use \"via\"") }
                index += 1
                if words[index].text == "inet" || words[index].text == "inet6", index + 1 < words.count { index += 1 }
                guard let ip = IPAddress(words[index].text) else {
                    log.error(.invalidValue, words[index].location, "invalid route via address '\(words[index].raw)' - skipping the route")
                    return nil
                }
                guard mix(ip, &log, words[index]) else { return nil }
                route.via = ip
            case "or":
                log.warning(.deprecated, word.location, "\"or\" for routes is deprecated; use \"nexthop\"")
                index += 1
                guard let ip = IPAddress(words[index].text) else {
                    log.error(.invalidValue, words[index].location, "invalid \"or\" address '\(words[index].raw)' - skipping the route")
                    return nil
                }
                guard mix(ip, &log, words[index]) else { return nil }
                route.orVia = ip
            case "table":
                index += 1
                if let t = Self.routeTables[words[index].text] ?? ConfigValue.unsigned(words[index].text, in: 0...UInt64(UInt32.max)).map({ UInt32($0) }) {
                    route.table = t
                } else {
                    log.error(.invalidValue, words[index].location, "routing table '\(words[index].raw)' not found for the route - skipping the route")
                    return nil
                }
            case "protocol", "proto":
                index += 1
                if let p = Self.routeProtocols[words[index].text] ?? ConfigValue.unsigned(words[index].text, in: 0...255).map({ UInt8($0) }) {
                    protocolGiven = p
                } else {
                    log.error(.invalidValue, words[index].location, "protocol '\(words[index].raw)' not found or invalid for the route - skipping the route")
                    return nil
                }
            case "scope":
                index += 1
                guard let s = Self.scope(words[index].text) else {
                    log.error(.invalidValue, words[index].location, "scope '\(words[index].raw)' not found or invalid for the route - skipping the route")
                    return nil
                }
                route.scope = s
            case "metric", "priority", "preference":
                index += 1
                guard let m = ConfigValue.unsigned(words[index].text, in: 0...UInt64(UInt32.max)) else {
                    log.error(.invalidValue, words[index].location, "invalid metric '\(words[index].raw)' for the route - skipping the route")
                    return nil
                }
                route.metric = UInt32(m)
            case "dev", "oif":
                index += 1
                guard let ifname = interfaceName(line, words[index]) else { return nil }
                route.device = ifname
            case "onlink":
                route.onLink = true
            case "no_track":
                route.noTrack = true
            case "add", "prepend", "append":
                route.otherOptions.append(word.text)
            case "nexthop":
                // Multipath routes: kept as written for the rtnetlink layer.
                route.otherOptions += words[index...].map(\.text)
                index = words.count
                continue
            case _ where Self.routeValueOptions.contains(word.text):
                route.otherOptions += [word.text, words[index + 1].text]
                index += 1
            default:
                var destinationIndex = index
                if word.text == "to" {
                    destinationIndex += 1
                }
                if destinationIndex < words.count, Self.routeTypes.contains(words[destinationIndex].text) {
                    route.type = words[destinationIndex].text
                    destinationIndex += 1
                }
                guard destinationIndex < words.count else {
                    log.error(.syntax, word.location, "route must have a destination - skipping the route")
                    return nil
                }
                let destination = words[destinationIndex]
                switch destination.text {
                case "default", "any", "all":
                    route.destination = nil
                    route.prefixLength = 0
                default:
                    guard destination.text.contains(":") || destination.text.first?.isNumber == true else {
                        log.error(.invalidValue, destination.location, "unknown route keyword '\(destination.raw)' - skipping the route")
                        return nil
                    }
                    guard let parsed = addressWithPrefix(destination, at: destination.location) else { return nil }
                    let (ip, prefix) = parsed
                    guard mix(ip, &log, destination) else { return nil }
                    route.destination = ip
                    route.prefixLength = prefix
                }
                haveDestination = true
                index = destinationIndex
            }
            index += 1
        }
        guard haveDestination else {
            log.error(.syntax, line.location, "route must have a destination - skipping the route")
            return nil
        }
        route.family = family ?? .inet
        if route.destination == nil && family == nil { route.family = .inet }
        if !route.noTrack {
            if let protocolGiven, protocolGiven != 18 {
                log.warning(.adjusted, line.location,
                            "a route cannot be tracked if its protocol is not keepalived (18) - using protocol 18")
            }
            route.protocolNumber = 18
        } else if let protocolGiven {
            route.protocolNumber = protocolGiven
        }
        return route
    }
}
