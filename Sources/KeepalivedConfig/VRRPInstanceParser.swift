import IPVSKit

/// A `vrrp_instance` as read, before the values that depend on the rest of the file (global_defs, scripts, sync
/// groups) are resolved by ``Parser/finishVRRP()``.
struct PendingVRRPInstance: Sendable {
    var instance: VRRPInstance
    /// The family fixed by the first VIP, unicast address or `mcast_dst_ip`, as keepalived deduces it.
    var family: AddressFamily?
    var version: VRRPVersion?
    var versionLocation: ConfigLocation?
    var advertInterval: ConfigDuration?
    var advertLocation: ConfigLocation?
    var priority: UInt8?
    /// Where `state` and `priority` were written, for the diagnostics that concern them.
    var stateLocation: ConfigLocation?
    var priorityLocation: ConfigLocation?
    var accept: Bool?
    var strictMode: Bool?
    var smtpAlert: Bool?
    var authKind: VRRPAuthentication.Kind?
    var authPassword: String?
    var authLocation: ConfigLocation?
    var nopreemptLocation: ConfigLocation?
    var preemptDelayLocation: ConfigLocation?
    var garpMasterDelay: ConfigDuration?
    var garpMasterRepeat: UInt32?
    var garpMasterRefresh: ConfigDuration?
    var garpMasterRefreshRepeat: UInt32?
    var garpLowerPriorityDelay: ConfigDuration?
    var garpLowerPriorityRepeat: UInt32?
    var downTimerAdverts: UInt32?
    var lowerPriorityNoAdvert: Bool?
    var higherPrioritySendAdvert: Bool?
    /// Whether any unicast keyword was given (`unicast_src_ip`, `unicast_peer`, ...).
    var unicastConfigured = false
    var multicastGroup: IPAddress?
    var multicastGroupLocation: ConfigLocation?
}

extension Parser {
    /// Keywords of `vrrp_instance` that are recognised and kept as written (not modelled).
    static let vrrpInstanceOtherKeywords: Set<String> = [
        "vmac_xmit_base", "use_vmac_addr", "use_ipvlan", "native_ipv6", "vrf", "track_process", "track_bfd",
        "track_src_ip", "old_unicast_checksum", "check_unicast_src", "promote_secondaries", "linkbeat_use_polling",
        "virtual_rules", "debug", "lvs_sync_daemon_interface", "garp_extra_if",
        "vmac_garp_intvl", "kernel_rx_buf_size", "sync_group_tracking_weight", "vrrp_ipsets", "ipsets", "nftables",
        "no_nftables", "first_advert", "fault_state", "wantstate", "snmp_name", "track_group", "unicast_src_port",
        "mcast_dst_port", "no_virtual_ipaddress", "v3_checksum_as_v2", "timer_expired_backup", "garp_interval",
        "gna_interval",
    ]

    mutating func parseVRRPInstance(_ node: ConfigNode) -> PendingVRRPInstance? {
        guard node.arguments.count == 1, let nameToken = node.arguments.first else {
            log.error(.syntax, node.location, "'vrrp_instance' must have a name (exactly one word); the block is skipped")
            return nil
        }
        guard let block = requireBlock(node) else { return nil }
        let name = nameToken.text
        var p = PendingVRRPInstance(instance: VRRPInstance(name: name, location: node.location))
        for child in block {
            parseInstanceKeyword(child, into: &p)
        }
        return p
    }

    private mutating func parseInstanceKeyword(_ child: ConfigNode, into p: inout PendingVRRPInstance) {
        let name = p.instance.name
        switch child.name {
        case "state":
            guard let token = argument(child, "MASTER or BACKUP") else { return }
            switch token.text {
            case "MASTER":
                p.instance.initialState = .master
            case "BACKUP":
                if p.instance.stateWasGiven && p.instance.initialState == .master {
                    log.warning(.adjusted, child.location, "(\(name)) state previously set as MASTER - ignoring BACKUP")
                    return
                }
                p.instance.initialState = .backup
            default:
                invalid(child, token, "expected MASTER or BACKUP (keepalived defaults to BACKUP)")
                p.instance.initialState = .backup
            }
            p.instance.stateWasGiven = true
            p.stateLocation = child.location
        case "interface":
            guard let token = argument(child, "an interface name") else { return }
            if let ifname = interfaceName(child, token) { p.instance.interface = ifname }
        case "virtual_router_id":
            if let v = unsigned(child, in: 1...255) { p.instance.virtualRouterID = UInt8(v) }
        case "priority":
            // keepalived: an invalid priority is replaced by the default (so `state MASTER` does not make it 255).
            p.priority = unsigned(child, in: 1...255).map { UInt8($0) } ?? 100
            p.priorityLocation = child.location
        case "advert_int":
            guard let token = argument(child) else { return }
            guard let value = ConfigValue.timer(token.text), value >= .milliseconds(10), value <= .seconds(255) else {
                invalid(child, token, "expected seconds from 0.01 to 255 (up to 6 decimal places)")
                return
            }
            p.advertInterval = value
            p.advertLocation = child.location
        case "version":
            guard let token = argument(child) else { return }
            guard let v = ConfigValue.unsigned(token.text, in: 2...3), let version = VRRPVersion(rawValue: Int(v)) else {
                invalid(child, token, "the version must be 2 or 3")
                return
            }
            if version == .v2 && p.family == .inet6 {
                log.warning(.adjusted, child.location,
                            "(\(name)) vrrp_version 2 conflicts with the IPv6 addresses of this instance; ignoring")
                return
            }
            p.version = version
            p.versionLocation = child.location
        case "authentication":
            guard let entries = requireBlock(child) else { return }
            rejectArguments(child)
            p.authLocation = child.location
            for entry in entries {
                switch entry.name {
                case "auth_type":
                    guard let token = argument(entry, "PASS or AH") else { continue }
                    switch token.text {
                    case "PASS": p.authKind = .pass
                    case "AH": p.authKind = .ah
                    default: invalid(entry, token, "expected PASS or AH")
                    }
                case "auth_pass":
                    guard let token = argument(entry, "a password") else { continue }
                    var password = token.text
                    if password.utf8.count > 8 {
                        log.warning(.adjusted, entry.location, "(\(name)) truncating auth_pass to 8 characters")
                        password = String(decoding: password.utf8.prefix(8), as: UTF8.self)
                    }
                    p.authPassword = password
                default:
                    unknown(entry, in: "authentication")
                }
            }
        case "virtual_ipaddress":
            guard let lines = requireBlock(child) else { return }
            rejectArguments(child)
            for line in lines {
                guard let address = parseVRRPAddress(line, isStatic: false) else { continue }
                if let family = p.family, family != address.family {
                    log.warning(.adjusted, line.location,
                                "(\(name)) address family must match the VRRP instance [\(line.keyword.raw)] - ignoring")
                    continue
                }
                p.family = address.family
                p.instance.virtualAddresses.append(address)
            }
        case "virtual_ipaddress_excluded":
            guard let lines = requireBlock(child) else { return }
            rejectArguments(child)
            for line in lines {
                if let address = parseVRRPAddress(line, isStatic: false) { p.instance.excludedAddresses.append(address) }
            }
        case "virtual_routes":
            guard let lines = requireBlock(child) else { return }
            rejectArguments(child)
            for line in lines {
                if let route = parseVRRPRoute(line) { p.instance.virtualRoutes.append(route) }
            }
        case "nopreempt":
            noArguments(child)
            p.instance.noPreempt = true
            p.nopreemptLocation = child.location
        case "preempt":
            noArguments(child)
            p.instance.noPreempt = false
        case "preempt_delay":
            guard let token = argument(child) else { return }
            guard let value = ConfigValue.timer(token.text), value <= .seconds(1000) else {
                invalid(child, token, "expected seconds from 0 to 1000 (up to 6 decimal places)")
                return
            }
            p.instance.preemptDelay = value
            p.preemptDelayLocation = child.location
        case "garp_master_delay":
            if let v = unsigned(child, in: 0...UInt64(UInt32.max / 1_000_000)) { p.garpMasterDelay = .seconds(Int64(v)) }
        case "garp_master_repeat":
            if let v = repeatCount(child, name: name) { p.garpMasterRepeat = v }
        case "garp_master_refresh":
            if let v = unsigned(child, in: 0...UInt64(UInt32.max)) { p.garpMasterRefresh = .seconds(Int64(v)) }
        case "garp_master_refresh_repeat":
            if let v = repeatCount(child, name: name) { p.garpMasterRefreshRepeat = v }
        case "garp_lower_prio_delay":
            if let v = unsigned(child, in: 0...UInt64(UInt32.max / 1_000_000)) { p.garpLowerPriorityDelay = .seconds(Int64(v)) }
        case "garp_lower_prio_repeat":
            if let v = unsigned(child, in: 0...UInt64(Int32.max)) { p.garpLowerPriorityRepeat = UInt32(v) }
        case "down_timer_adverts":
            if let v = unsigned(child, in: 1...100) { p.downTimerAdverts = UInt32(v) }
        case "lower_prio_no_advert":
            if let v = optionalBool(child) { p.lowerPriorityNoAdvert = v }
        case "higher_prio_send_advert":
            if let v = optionalBool(child) { p.higherPrioritySendAdvert = v }
        case "skip_check_adv_addr":
            if let v = optionalBool(child) { p.instance.skipCheckAdvertAddresses = v }
        case "unicast_src_ip", "mcast_src_ip":
            if child.name == "unicast_src_ip" { p.unicastConfigured = true }
            guard let token = argument(child, "an address"), let ip = address(child, token) else { return }
            if let family = p.family, family != ip.family {
                log.warning(.adjusted, child.location,
                            "(\(name)) \(child.name) \(token.raw) must be of the instance's address family - ignoring it")
                return
            }
            p.family = ip.family
            if child.name == "unicast_src_ip" {
                p.instance.unicastSourceAddress = ip
            } else {
                p.instance.multicastSourceAddress = ip
            }
        case "mcast_dst_ip":
            guard let token = argument(child, "a multicast address"), let ip = address(child, token) else { return }
            if let family = p.family, family != ip.family {
                log.warning(.adjusted, child.location,
                            "(\(name)) mcast dest address \(token.raw) must match the instance's address family - ignoring it")
                return
            }
            guard ip.isLinkLocalMulticastOrIPv4Multicast else {
                log.warning(.adjusted, child.location,
                            "(\(name)) mcast_dst_ip \(token.raw) is not \(ip.family == .inet6 ? "link-local " : "")multicast - ignoring it")
                return
            }
            p.family = ip.family
            p.multicastGroup = ip
            p.multicastGroupLocation = child.location
        case "unicast_peer":
            guard let lines = requireBlock(child) else { return }
            rejectArguments(child)
            p.unicastConfigured = true
            for line in lines {
                guard let peer = parseUnicastPeer(line, instance: name) else { continue }
                if let family = p.family, family != peer.address.family {
                    log.warning(.adjusted, line.location,
                                "(\(name)) unicast peer \(peer.address) must be of the instance's address family - ignoring it")
                    continue
                }
                p.family = peer.address.family
                p.instance.unicastPeers.append(peer)
            }
        case "unicast_ttl":
            if let v = unsigned(child, in: 0...255) { p.instance.unicastTTL = UInt8(v) }
        case "unicast_fault_no_peer":
            noArguments(child)
            p.unicastConfigured = true
            p.instance.unicastFaultNoPeer = true
        case "dont_track_primary":
            noArguments(child)
            p.instance.dontTrackPrimary = true
        case "notify_master_rx_lower_pri":
            setNotify(child, &p.instance.notifyMasterRxLowerPriority, owner: name)
        case "notify_priority_changes":
            if let v = optionalBool(child) { p.instance.notifyPriorityChanges = v }
        case "notify_deleted":
            if p.instance.notifyDeleted != nil {
                log.warning(.adjusted, child.location, "(\(name)) notify_deleted already specified - ignoring this one")
                return
            }
            p.instance.notifyDeleted = child.arguments.isEmpty ? .some(nil) : .some(script(child))
        case "smtp_alert":
            if let v = optionalBool(child) { p.smtpAlert = v }
        case "accept":
            noArguments(child)
            p.accept = true
        case "no_accept":
            noArguments(child)
            p.accept = false
        case "strict_mode":
            if let v = optionalBool(child) { p.strictMode = v }
        case "use_vmac":
            rejectBlock(child)
            var vmac = VMACSettings()
            for token in child.arguments {
                if token.text.filter({ $0 == ":" }).count == 5 {
                    vmac.macAddress = token.text
                } else if vmac.name == nil {
                    vmac.name = token.text
                }
            }
            p.instance.useVMAC = vmac
            log.once("vrrp:use_vmac", .notActedUpon, child.location,
                     "(\(name)) use_vmac is parsed but not supported by lvsd: the VIPs go on the instance's interface")
        default:
            if parseTrackingOrNotify(child, into: &p.instance, owner: name) {
                return
            } else if Self.vrrpInstanceOtherKeywords.contains(child.name) {
                p.instance.otherSettings.append(OtherSetting(keyword: child.name, arguments: child.arguments.map(\.text),
                                                             location: child.location))
            } else {
                unknown(child, in: "vrrp_instance")
            }
        }
    }

    /// An interface name: shorter than IFNAMSIZ (16).
    mutating func interfaceName(_ node: ConfigNode, _ token: Token) -> String? {
        guard !token.text.isEmpty, token.text.utf8.count < 16 else {
            invalid(node, token, "interface names are at most 15 characters")
            return nil
        }
        return token.text
    }

    /// Reports words after a block keyword that takes none.
    mutating func rejectArguments(_ node: ConfigNode) {
        if !node.arguments.isEmpty {
            log.warning(.syntax, node.location,
                        "'\(node.name)': extra words ignored: \(node.arguments.map(\.raw).joined(separator: " "))")
        }
    }

    /// `garp_master_repeat` and `garp_master_refresh_repeat`: 0 is taken as 1, as keepalived does.
    mutating func repeatCount(_ node: ConfigNode, name: String) -> UInt32? {
        guard let v = unsigned(node, in: 0...UInt64(UInt32.max)) else { return nil }
        if v == 0 {
            log.warning(.adjusted, node.location, "(\(name)) \(node.name) must be greater than 0, setting to 1")
            return 1
        }
        return UInt32(v)
    }

    /// The keywords a `vrrp_instance` and a `vrrp_sync_group` share: `track_interface`, `track_script`,
    /// `track_file` blocks and the notify scripts of the four states and the generic `notify`. false when `child`
    /// is none of them.
    mutating func parseTrackingOrNotify<Owner: VRRPTrackingAndNotify>(_ child: ConfigNode, into owner: inout Owner,
                                                                     owner name: String) -> Bool {
        switch child.name {
        case "track_interface", "track_script", "track_file":
            guard let lines = requireBlock(child) else { return true }
            rejectArguments(child)
            switch child.name {
            case "track_interface": owner.trackInterfaces += parseTrackInterfaces(lines, owner: name)
            case "track_script": owner.trackScripts += parseTrackScripts(lines, owner: name)
            default: owner.trackFiles += parseTrackFiles(lines, owner: name)
            }
        case "notify_master": setNotify(child, &owner.notifyMaster, owner: name)
        case "notify_backup": setNotify(child, &owner.notifyBackup, owner: name)
        case "notify_fault": setNotify(child, &owner.notifyFault, owner: name)
        case "notify_stop": setNotify(child, &owner.notifyStop, owner: name)
        case "notify": setNotify(child, &owner.notify, owner: name)
        default: return false
        }
        return true
    }

    /// A notify script keyword; a second one for the same event is ignored, as keepalived does.
    mutating func setNotify(_ node: ConfigNode, _ slot: inout ScriptCommand?, owner: String) {
        if slot != nil {
            log.warning(.adjusted, node.location, "(\(owner)) \(node.name) script already specified - ignoring this one")
            return
        }
        slot = script(node)
    }

    /// `IP [min_ttl N] [max_ttl N]`.
    mutating func parseUnicastPeer(_ line: ConfigNode, instance name: String) -> VRRPUnicastPeer? {
        rejectBlock(line)
        guard let ip = ConfigValue.address(line.keyword.text) else {
            log.error(.invalidValue, line.location, "(\(name)) malformed unicast peer address '\(line.keyword.raw)'")
            return nil
        }
        var peer = VRRPUnicastPeer(address: ip, location: line.location)
        var index = 0
        let args = line.arguments
        while index < args.count {
            let option = args[index]
            guard index + 1 < args.count else {
                log.error(.syntax, option.location, "(\(name)) unicast_peer \(ip): '\(option.raw)' is missing a value")
                break
            }
            let value = args[index + 1]
            guard let ttl = ConfigValue.unsigned(value.text, in: 0...255) else {
                log.error(.invalidValue, value.location,
                          "(\(name)) unicast_peer \(ip): invalid value '\(value.raw)' for '\(option.raw)': expected 0 to 255")
                index += 2
                continue
            }
            switch option.text {
            case "min_ttl": peer.minimumTTL = UInt8(ttl)
            case "max_ttl": peer.maximumTTL = UInt8(ttl)
            default:
                log.error(.invalidValue, option.location, "(\(name)) unknown unicast_peer option '\(option.raw)'")
                index = args.count
                continue
            }
            peer.ttlCheckConfigured = true
            index += 2
        }
        if peer.minimumTTL > peer.maximumTTL {
            log.warning(.adjusted, line.location,
                        "(\(name)) min_ttl \(peer.minimumTTL) > max_ttl \(peer.maximumTTL) - all packets from \(ip) will be discarded")
        }
        return peer
    }

    /// A tracking weight: -253...253; ±254 is taken as ±253 with a warning, as keepalived does.
    mutating func trackWeight(_ owner: String, _ line: ConfigNode, _ token: Token) -> Int? {
        guard let value = ConfigValue.signed(token.text, in: -254...254) else {
            log.error(.invalidValue, token.location,
                      "(\(owner)) weight '\(token.raw)' for \(line.keyword.raw) must be between -253 and 253 inclusive - ignoring")
            return nil
        }
        if abs(value) == 254 {
            log.warning(.adjusted, token.location, "(\(owner)) weight for \(line.keyword.raw) cannot be +/-254. Setting to +/-253")
            return value < 0 ? -253 : 253
        }
        return value
    }

    /// Lines of `track_interface { IF [weight N [reverse]] }`.
    mutating func parseTrackInterfaces(_ lines: [ConfigNode], owner: String) -> [VRRPTrackedInterface] {
        var result: [VRRPTrackedInterface] = []
        for line in lines {
            rejectBlock(line)
            guard let ifname = interfaceName(line, line.keyword) else { continue }
            if result.contains(where: { $0.interface == ifname }) {
                log.warning(.adjusted, line.location, "(\(owner)) duplicate track_interface \(ifname) - ignoring")
                continue
            }
            var tracked = VRRPTrackedInterface(interface: ifname, location: line.location)
            guard let options = weightOptions(line, owner: owner, allowNoReverse: false) else { continue }
            tracked.weight = options.weight ?? 0
            tracked.reverse = options.reverse ?? false
            result.append(tracked)
        }
        return result
    }

    /// Lines of `track_script { NAME [weight N [reverse|noreverse]] }`.
    mutating func parseTrackScripts(_ lines: [ConfigNode], owner: String) -> [VRRPTrackedScript] {
        var result: [VRRPTrackedScript] = []
        for line in lines {
            rejectBlock(line)
            let name = line.keyword.text
            if result.contains(where: { $0.name == name }) {
                log.warning(.adjusted, line.location, "(\(owner)) duplicate track_script \(name) - ignoring")
                continue
            }
            guard let options = weightOptions(line, owner: owner, allowNoReverse: true) else { continue }
            result.append(VRRPTrackedScript(name: name, weight: options.weight, reverse: options.reverse,
                                            location: line.location))
        }
        return result
    }

    /// Lines of `track_file { NAME [weight N [reverse]] }`.
    mutating func parseTrackFiles(_ lines: [ConfigNode], owner: String) -> [VRRPTrackedFile] {
        var result: [VRRPTrackedFile] = []
        for line in lines {
            rejectBlock(line)
            let name = line.keyword.text
            if result.contains(where: { $0.name == name }) {
                log.warning(.adjusted, line.location, "(\(owner)) duplicate track_file \(name) - ignoring")
                continue
            }
            guard let options = weightOptions(line, owner: owner, allowNoReverse: false) else { continue }
            result.append(VRRPTrackedFile(name: name, weight: options.weight, reverse: options.reverse ?? false,
                                          location: line.location))
        }
        return result
    }

    /// `[weight N [reverse|noreverse]]` after a tracked name; `nil` when the line is dropped.
    private mutating func weightOptions(_ line: ConfigNode, owner: String,
                                        allowNoReverse: Bool) -> (weight: Int?, reverse: Bool?)? {
        let args = line.arguments
        guard let first = args.first else { return (nil, nil) }
        guard first.text == "weight" else {
            log.warning(.adjusted, first.location,
                        "(\(owner)) unknown option '\(first.raw)' for \(line.keyword.raw) - ignoring \(line.keyword.raw)")
            return nil
        }
        guard args.count >= 2 else {
            log.error(.syntax, first.location, "(\(owner)) weight without value for \(line.keyword.raw) - ignoring it")
            return nil
        }
        let weight = trackWeight(owner, line, args[1])
        var reverse: Bool?
        if args.count >= 3 {
            switch args[2].text {
            case "reverse": reverse = true
            case "noreverse" where allowNoReverse: reverse = false
            default:
                log.warning(.adjusted, args[2].location,
                            "(\(owner)) unknown weight option '\(args[2].raw)' for \(line.keyword.raw) - ignoring the option")
            }
        }
        if args.count > 3 {
            log.warning(.syntax, args[3].location,
                        "(\(owner)) extra words after \(line.keyword.raw)'s weight ignored: \(args.dropFirst(3).map(\.raw).joined(separator: " "))")
        }
        return (weight, reverse)
    }
}

extension IPAddress {
    /// An IPv4 multicast address (224/4) or an IPv6 link-local multicast address (ff02::/16), as keepalived
    /// requires of `mcast_dst_ip`.
    var isLinkLocalMulticastOrIPv4Multicast: Bool {
        switch self {
        case .v4(let a): a >> 28 == 0xE
        case .v6(let high, _): high >> 48 == 0xFF02
        }
    }

    /// Any multicast address.
    var isMulticast: Bool {
        switch self {
        case .v4(let a): a >> 28 == 0xE
        case .v6(let high, _): high >> 56 == 0xFF
        }
    }

    /// An IPv6 link-local unicast address (fe80::/10).
    var isIPv6LinkLocal: Bool {
        if case .v6(let high, _) = self { return high >> 54 == 0x3FA }
        return false
    }
}

extension ConfigValue {
    /// A decimal integer with an optional sign within `range`.
    public static func signed(_ text: String, in range: ClosedRange<Int>) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        guard let magnitude = decimal(digits.utf8, maximumDigits: 18) else { return nil }
        let value = negative ? -Int(magnitude) : Int(magnitude)
        return range.contains(value) ? value : nil
    }
}
