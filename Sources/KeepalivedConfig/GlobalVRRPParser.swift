import IPVSKit

/// The VRRP keywords of `global_defs`, read as keepalived 2.2.7's global parser reads them.
extension Parser {
    /// Reads `node` into `g.vrrp` (or `g.mail`) when it is a modelled VRRP keyword; other keywords are left alone.
    mutating func parseGlobalVRRPKeyword(_ node: ConfigNode, into g: inout GlobalDefinitions) {
        switch node.name {
        case "vrrp_version":
            guard let token = argument(node) else { return }
            guard let v = ConfigValue.unsigned(token.text, in: 2...3), let version = VRRPVersion(rawValue: Int(v)) else {
                invalid(node, token, "the VRRP version must be 2 or 3")
                return
            }
            g.vrrp.version = version
        case "vrrp_mcast_group4", "vrrp_mcast_group6":
            guard let token = argument(node, "a multicast address"), let ip = address(node, token) else { return }
            let wanted: AddressFamily = node.name == "vrrp_mcast_group4" ? .inet : .inet6
            guard ip.family == wanted else {
                invalid(node, token, "not an IPv\(wanted == .inet ? 4 : 6) address")
                return
            }
            guard ip.isMulticast else {
                invalid(node, token, "not a multicast address")
                return
            }
            if wanted == .inet6 && !ip.isLinkLocalMulticastOrIPv4Multicast {
                log.warning(.invalidValue, token.location, "vrrp_mcast_group6 [\(token.raw)] should be link-local multicast")
            }
            if wanted == .inet { g.vrrp.multicastGroup4 = ip } else { g.vrrp.multicastGroup6 = ip }
        case "vrrp_garp_master_delay":
            if let v = unsigned(node, in: 0...UInt64(UInt32.max / 1_000_000)) { g.vrrp.garp.masterDelay = .seconds(Int64(v)) }
        case "vrrp_garp_master_repeat":
            if let v = repeatCount(node, name: "global_defs") { g.vrrp.garp.masterRepeat = v }
        case "vrrp_garp_master_refresh":
            if let v = unsigned(node, in: 0...UInt64(UInt32.max)) { g.vrrp.garp.masterRefresh = .seconds(Int64(v)) }
        case "vrrp_garp_master_refresh_repeat":
            if let v = repeatCount(node, name: "global_defs") { g.vrrp.garp.masterRefreshRepeat = v }
        case "vrrp_garp_lower_prio_delay":
            if let v = unsigned(node, in: 0...UInt64(UInt32.max / 1_000_000)) { g.vrrp.garpLowerPriorityDelay = .seconds(Int64(v)) }
        case "vrrp_garp_lower_prio_repeat":
            if let v = unsigned(node, in: 0...UInt64(Int32.max)) { g.vrrp.garpLowerPriorityRepeat = UInt32(v) }
        case "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_startup_delay":
            guard let token = argument(node) else { return }
            guard let value = ConfigValue.timer(token.text), value <= .microseconds(Int64(UInt32.max)) else {
                invalid(node, token, "expected seconds (up to 6 decimal places, at most 4294.967295)")
                return
            }
            if value == .zero {
                // keepalived 2.2.7 reports 0 as out of range ([0.000001, ...], or [0.001, ...] for the start-up
                // delay) and keeps the default, which is 0: the setting has no effect.
                log.warning(.invalidValue, token.location,
                            "'\(node.name) 0' is below keepalived's minimum; keeping the default (no \(node.name == "vrrp_startup_delay" ? "delay" : "spacing"))")
                return
            }
            if node.name == "vrrp_startup_delay" && value < .milliseconds(1) {
                invalid(node, token, "the minimum is 0.001 s")
                return
            }
            switch node.name {
            case "vrrp_garp_interval": g.vrrp.garpInterval = value
            case "vrrp_gna_interval": g.vrrp.gnaInterval = value
            default: g.vrrp.startupDelay = value
            }
        case "vrrp_strict":
            noArguments(node)
            g.vrrp.strict = true
        case "vrrp_notify_priority_changes":
            if let v = optionalBool(node) { g.vrrp.notifyPriorityChanges = v }
        case "vrrp_down_timer_adverts":
            if let v = unsigned(node, in: 1...100) { g.vrrp.downTimerAdverts = UInt32(v) }
        case "smtp_alert_vrrp":
            if let v = optionalBool(node) { g.mail.smtpAlertVRRP = v }
        case "no_email_faults":
            g.mail.noEmailFaults = true
        default:
            break
        }
    }
}
