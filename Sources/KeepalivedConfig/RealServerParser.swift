import IPVSKit

extension Parser {
    mutating func parseRealServer(_ node: ConfigNode, of vs: VirtualServer) -> RealServer? {
        guard let first = node.arguments.first else {
            log.error(.syntax, node.location, "'real_server' needs an address")
            return nil
        }
        guard let ip = address(node, first) else { return nil }
        var p: UInt16 = 0
        var portGiven = false
        if node.arguments.count > 1 {
            guard let given = port(node, node.arguments[1]) else { return nil }
            p = given
            portGiven = true
        }
        if node.arguments.count > 2 {
            log.warning(.syntax, node.location,
                        "'real_server': extra words ignored: \(node.arguments.dropFirst(2).map(\.raw).joined(separator: " "))")
        }
        var rs = RealServer(location: node.location, address: ip, port: p, portWasGiven: portGiven,
                            weight: vs.defaultWeight, method: vs.method, inhibitOnFailure: vs.inhibitOnFailure,
                            alpha: vs.alpha, virtualhost: nil, drainTimeout: vs.drainTimeout)
        // A real server without a block is allowed by keepalived (no checkers: always up).
        var checkerNodes: [ConfigNode] = []
        for child in node.block ?? [] {
            switch child.name {
            case "weight":
                if let v = unsigned(child, in: 0...UInt64(Int32.max)) { rs.weight = Int32(v) }
            case "lvs_method", "lb_kind":
                if child.name == "lb_kind" { deprecated(child, "lvs_method") }
                if let method = lvsMethod(child) { rs.method = method }
            case "uthreshold":
                if let v = unsigned(child, in: 0...UInt64(UInt32.max)) { rs.upperThreshold = UInt32(v) }
            case "lthreshold":
                if let v = unsigned(child, in: 0...UInt64(UInt32.max)) { rs.lowerThreshold = UInt32(v) }
            case "inhibit_on_failure":
                if let v = optionalBool(child) { rs.inhibitOnFailure = v }
            case "notify_up":
                rs.notifyUp = script(child)
            case "notify_down":
                rs.notifyDown = script(child)
            case "alpha":
                if let v = optionalBool(child) { rs.alpha = v }
            case "retry":
                if let v = unsigned(child, in: 1...UInt64(UInt32.max)) { rs.retry = UInt32(v) }
            case "delay_before_retry":
                if let t = timer(child) { rs.delayBeforeRetry = t }
            case "warmup":
                if let t = timer(child) { rs.warmup = t }
            case "connect_timeout":
                if let t = positiveTimer(child) { rs.connectTimeout = t }
            case "delay_loop":
                if let t = positiveTimer(child) { rs.delayLoop = t }
            case "smtp_alert":
                if let v = optionalBool(child) { rs.smtpAlert = v }
            case "virtualhost":
                rs.virtualhost = string(child)
            case "snmp_name":
                rs.snmpName = string(child)
            case "rise":
                if let v = unsigned(child, in: 1...1_000_000) { rs.rise = UInt32(v) }
            case "fall":
                if let v = unsigned(child, in: 1...1_000_000) { rs.fall = UInt32(v) }
            case "drain_timeout":
                if let t = timer(child) { rs.drainTimeout = t }
            default:
                if Checker.Kind(rawValue: child.name) != nil {
                    checkerNodes.append(child)
                } else {
                    unknown(child, in: "real_server")
                }
            }
        }
        if rs.upperThreshold != 0 && rs.lowerThreshold > rs.upperThreshold {
            log.warning(.adjusted, node.location, "real_server \(ip): lthreshold is above uthreshold")
        }
        for checkerNode in checkerNodes {
            if let checker = parseChecker(checkerNode, realServer: rs, virtualServer: vs) {
                rs.checkers.append(checker)
            }
        }
        return rs
    }
}
