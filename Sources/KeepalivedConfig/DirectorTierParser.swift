/// The director-tier keywords (lvsd extensions): `announce` in a `virtual_server`, the `global_defs` sysctls, and
/// the warnings on settings that break flows when several directors share a VIP behind ECMP.
extension Parser {
    /// `announce [rise SECS] [fall SECS]`.
    mutating func parseAnnounce(_ node: ConfigNode) -> AnnounceSettings? {
        rejectBlock(node)
        var settings = AnnounceSettings(location: node.location)
        var args = node.arguments[...]
        while let name = args.popFirst() {
            guard name.text == "rise" || name.text == "fall" else {
                invalid(node, name, "expected 'rise SECS' or 'fall SECS'")
                return nil
            }
            guard let value = args.popFirst() else {
                log.error(.syntax, name.location, "'announce': '\(name.raw)' needs a number of seconds")
                return nil
            }
            guard let t = ConfigValue.timer(value.text) else {
                invalid(node, value, "expected seconds (up to 6 decimal places)")
                return nil
            }
            if name.text == "rise" { settings.rise = t } else { settings.fall = t }
        }
        return settings
    }

    /// `lvsd_sloppy_tcp [BOOL]` and its siblings (omitted means on).
    mutating func parseDirectorSysctl(_ node: ConfigNode, into s: inout DirectorSysctls) {
        guard let value = optionalBool(node) else { return }
        switch node.name {
        case "lvsd_sloppy_tcp": s.sloppyTCP = value
        case "lvsd_schedule_icmp": s.scheduleICMP = value
        case "lvsd_expire_nodest_conn": s.expireNodestConn = value
        default: s.conntrack = value
        }
    }

    /// An interface name the kernel accepts (IFNAMSIZ 16 with its NUL).
    static func isInterfaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 15 && name != "." && name != ".."
            && !name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace })
    }

    /// Warnings for an `announce` virtual server whose scheduling would break flows moved between directors.
    mutating func checkDirectorTier(_ vs: VirtualServer) {
        guard let announce = vs.announce else { return }
        let name = describe(vs)
        if case .firewallMark = vs.address {
            log.warning(.adjusted, announce.location,
                        "virtual_server \(name): 'announce' needs addresses (a fwmark has none) - nothing is announced for it")
        }
        switch vs.scheduler {
        case "mh":
            if !vs.flags.contains(.scheduler2) {
                log.warning(.adjusted, announce.location,
                            "virtual_server \(name): 'mh' without 'mh-port' hashes on the client address only; behind ECMP add 'mh-port' so that every director picks the same real server per flow")
            }
            if vs.realServers.count > AnnounceDefaults.maglevTableSize {
                log.warning(.adjusted, announce.location,
                            "virtual_server \(name): \(vs.realServers.count) real servers are more than the kernel's \(AnnounceDefaults.maglevTableSize)-slot 'mh' table")
            }
        case "sh":
            break
        default:
            if configuration.globalDefinitions.lvsSyncDaemon == nil {
                log.warning(.adjusted, announce.location,
                            "virtual_server \(name): '\(vs.scheduler)' with 'announce' and no 'lvs_sync_daemon': a flow ECMP moves to another director is scheduled afresh there and breaks; use 'lvs_sched mh' with 'mh-port' (or sh), or the sync daemon")
            }
        }
    }
}
