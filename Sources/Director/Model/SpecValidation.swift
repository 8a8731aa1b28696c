import IPVSKit

/// Checks specs before anything is applied, and normalises them the way keepalived's config checks do.
enum SpecValidation {
    /// Validates every spec. Returns normalised specs and keepalived's warnings; throws every problem at once.
    static func validate(_ specs: [VirtualServerSpec]) throws(DirectorError) -> (specs: [VirtualServerSpec], warnings: [DirectorAction]) {
        var problems: [SpecProblem] = []
        var warnings: [DirectorAction] = []
        var out: [VirtualServerSpec] = []
        var seenIDs: [VirtualServerID: Int] = [:]
        var seenKeys: [ServiceKey: String] = [:]
        for (index, original) in specs.enumerated() {
            var vs = original
            let name = vs.id.description
            func problem(_ text: String, _ rs: String? = nil) { problems.append(SpecProblem(virtualServer: name, realServer: rs, problem: text)) }

            if let previous = seenIDs[vs.id] {
                problem("defined twice (entries \(previous + 1) and \(index + 1))")
                continue
            }
            seenIDs[vs.id] = index
            if let g = vs.group, g.members.isEmpty { problem("group \(g.name) has no members") }
            let serviceKeys = vs.serviceKeys
            for key in serviceKeys {
                if let other = seenKeys[key] { problem("service \(key) is also managed by virtual server \(other)") }
                seenKeys[key] = name
                var s = vs.service
                s.key = key
                do throws(IPVSError) { try IPVSOperation.addService(s).validate() } catch { problem(error.description) }
            }
            if vs.realServers.isEmpty {
                warnings.append(.log(.warning, "Virtual server \(name) has no real servers - ignoring"))
                continue
            }
            if let d = vs.drainTimeout, d < .zero { problem("drain_timeout \(d) is negative") }

            // Port rules: NAT without port takes the VS port; DR/TUN are forced to it; fwmark clears non-NAT ports.
            let forced = vs.forcedPort
            let proto = vs.protocolName
            var kept: [RealServerSpec] = []
            kept.reserveCapacity(vs.realServers.count)
            var seenRS = Set<DestinationKey>(minimumCapacity: vs.realServers.count)
            let addressService = if case .address? = serviceKeys.first { true } else { false }
            for var rs in vs.realServers {
                // Named as configured (before the port rules below), and only when something is said about it.
                let configuredKey = rs.key
                var rsName: String { formatRealServer(configuredKey, protocolName: proto) }
                if let forced {
                    if rs.forwarding == .masquerade {
                        if rs.port == 0, addressService { rs.port = forced }
                    } else if rs.port != forced {
                        if rs.port != 0 {
                            warnings.append(.log(.warning, forced == 0
                                ? "WARNING - fwmark virtual server \(name), real server \(rsName) has port specified - clearing"
                                : "WARNING - virtual server \(name) and real server \(rsName) ports don't match - resetting"))
                        }
                        rs.port = forced
                    }
                }
                if !seenRS.insert(rs.key).inserted {
                    warnings.append(.log(.warning, "VS \(name): real server \(formatRealServer(rs.key, protocolName: proto)) is duplicated - removing second rs"))
                    continue
                }
                if rs.weight < 0 { problem("weight \(rs.weight) is negative", rsName) }
                if rs.checkers.count > 1 {
                    var ids = Set<CheckerID>()
                    for c in rs.checkers where !ids.insert(c.id).inserted { problem("checker id \(c.id) is used twice", rsName) }
                }
                for key in serviceKeys {
                    do throws(IPVSError) {
                        try IPVSOperation.addDestination(rs.destination(weight: max(rs.weight, 0)), service: key).validate()
                    } catch { problem(error.description, rsName) }
                }
                kept.append(rs)
            }
            vs.realServers = kept
            if var sorry = vs.sorryServer {
                let method = sorry.forwarding ?? vs.forwarding
                sorry.forwarding = method
                if let forced, method != .masquerade, sorry.port != forced { sorry.port = forced }
                if let forced, method == .masquerade, sorry.port == 0, forced != 0 { sorry.port = forced }
                let sName = formatRealServer(sorry.key, protocolName: proto)
                if let twin = vs.realServers.first(where: { $0.key == sorry.key }) {
                    // keepalived allows it; the inhibit settings must then agree.
                    let inhibit = twin.inhibitOnFailure ?? vs.inhibitOnFailure
                    if inhibit != sorry.inhibit {
                        warnings.append(.log(.warning, "Virtual server \(name): real server \(sName) matches sorry server, but inhibit setting differs, \(inhibit ? "sett" : "clear")ing on sorry server"))
                        sorry.inhibit = inhibit
                    }
                }
                if sorry.weight < 0 { problem("weight \(sorry.weight) is negative", sName) }
                for key in serviceKeys {
                    let d = Destination(address: sorry.address, port: sorry.port, forwarding: method, weight: max(sorry.weight, 0), tunnel: sorry.tunnel)
                    do throws(IPVSError) { try IPVSOperation.addDestination(d, service: key).validate() } catch { problem(error.description, sName) }
                }
                vs.sorryServer = sorry
            }

            // Quorum and hysteresis clamping (keepalived's check_data.c).
            let weightSum = vs.realServers.reduce(Int64(0)) { $0 + Int64(max($1.weight, 0)) }
            if Int64(vs.quorum) > weightSum {
                let clamped = UInt32(clamping: weightSum)
                warnings.append(.log(.warning, "Warning - quorum \(vs.quorum) for \(name) exceeds total weight of real servers \(clamped), reducing quorum to \(clamped)"))
                vs.quorum = clamped
            }
            if vs.hysteresis >= vs.quorum, vs.hysteresis > 0 {
                let h = vs.quorum == 0 ? 0 : vs.quorum - 1
                warnings.append(.log(.warning, "Virtual server \(name): hysteresis \(vs.hysteresis) >= quorum \(vs.quorum); setting hysteresis to \(h)"))
                vs.hysteresis = h
            }
            out.append(vs)
        }
        if !problems.isEmpty { throw .invalidSpec(problems) }
        return (out, warnings)
    }
}
