import HealthCheck
import IPVSKit
import KeepalivedConfig

/// What lvsd runs for one parsed keepalived.conf: the director's virtual-server specs, the health checkers, and
/// which real server each checker reports for.
///
/// This is the one place where the configuration model meets the director and the checker engine: config text →
/// ``KeepalivedConfiguration`` → ``KeepalivedSetup`` → ``Director`` (desired table → kernel) and
/// ``HealthCheck/CheckEngine`` (checker results → ``CheckerEvent``).
public struct KeepalivedSetup: Sendable {
    /// One spec per `virtual_server`, in file order.
    public var virtualServers: [VirtualServerSpec]
    /// Every checker lvsd runs (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK).
    public var checkers: [HealthCheck.CheckerConfig]
    /// For each checker, the real server and director checker id its verdicts belong to.
    public var routes: [HealthCheck.CheckerID: Route]
    /// Checkers that are parsed but not run (SMTP, DNS, UDP, PING, FILE, BFD), as `file:line: text`.
    public var notRun: [String]

    /// Where a checker's verdicts go.
    public struct Route: Hashable, Sendable {
        /// The real server.
        public var realServer: RealServerID
        /// The director's name for the checker.
        public var checker: CheckerID
    }

    /// Builds the setup from a parsed configuration (one without errors).
    public init(configuration config: KeepalivedConfiguration) {
        var specs: [VirtualServerSpec] = []
        var checkers: [HealthCheck.CheckerConfig] = []
        var routes: [HealthCheck.CheckerID: Route] = [:]
        var notRun: [String] = []
        for vs in config.virtualServers {
            let instances = IPVSMapping.serviceKeys(for: vs, in: config)
            guard let firstKey = instances.first?.key else { continue }
            let service = IPVSMapping.service(for: vs, key: firstKey)
            var group: VirtualServerGroupSpec?
            if case .group(let name) = vs.address { group = VirtualServerGroupSpec(name: name, members: instances.map(\.key)) }
            let vsID: VirtualServerID = group.map { .group($0.name) } ?? .service(firstKey)
            var realServers: [RealServerSpec] = []
            let vsName = vsID.description, protocolName = vs.protocolType.keepalivedName
            for rs in vs.realServers {
                let dest = IPVSMapping.destination(for: rs, in: firstKey)
                let rsID = RealServerID(vsID, dest.address, dest.port)
                var checkerSpecs: [CheckerSpec] = []
                for (index, checker) in rs.checkers.enumerated() {
                    guard checker.kind.isActedUpon, let probe = KeepalivedSetup.probe(for: checker, of: rs, in: vs) else {
                        notRun.append("\(checker.location): \(checker.kind.rawValue) is parsed but not run by lvsd")
                        continue
                    }
                    let spec = CheckSpec(probe: probe, timers: KeepalivedSetup.timers(for: checker, kind: probe.kind))
                    let healthID = HealthCheck.CheckerID(virtualServer: vsName,
                                                         realServer: "[\(dest.address)]:\(protocolName):\(dest.port)",
                                                         index: index)
                    let directorID = CheckerID("\(probe.kind.rawValue)#\(index)-\(KeepalivedSetup.fingerprint(spec))")
                    checkers.append(HealthCheck.CheckerConfig(id: healthID, spec: spec))
                    routes[healthID] = Route(realServer: rsID, checker: directorID)
                    checkerSpecs.append(CheckerSpec(id: directorID, alpha: checker.alpha))
                }
                realServers.append(RealServerSpec(
                    address: dest.address, port: dest.port, forwarding: dest.forwarding, tunnel: dest.tunnel,
                    weight: dest.weight, upperThreshold: dest.upperThreshold, lowerThreshold: dest.lowerThreshold,
                    inhibitOnFailure: rs.inhibitOnFailure, alpha: rs.alpha, checkers: checkerSpecs,
                    notifyUp: rs.notifyUp.map(KeepalivedSetup.script), notifyDown: rs.notifyDown.map(KeepalivedSetup.script)))
            }
            var sorry: SorryServerSpec?
            if let s = vs.sorryServer, let dest = IPVSMapping.sorryDestination(for: vs, in: firstKey) {
                sorry = SorryServerSpec(address: s.address, port: dest.port, forwarding: s.method?.forwarding,
                                        tunnel: dest.tunnel, weight: 1, inhibit: vs.sorryServerInhibit)
            }
            specs.append(VirtualServerSpec(
                service: service, group: group, forwarding: vs.method.forwarding, realServers: realServers,
                quorum: vs.quorum, hysteresis: vs.hysteresis,
                quorumUp: vs.quorumUp.map(KeepalivedSetup.script), quorumDown: vs.quorumDown.map(KeepalivedSetup.script),
                sorryServer: sorry, alpha: vs.alpha, omega: vs.omega, inhibitOnFailure: vs.inhibitOnFailure,
                drainTimeout: vs.drainTimeout))
        }
        virtualServers = specs
        self.checkers = checkers
        self.routes = routes
        self.notRun = notRun
    }

    static func script(_ s: KeepalivedConfig.ScriptCommand) -> ScriptCommand {
        ScriptCommand(s.arguments, user: s.user, group: s.group)
    }

    static func timers(for c: Checker, kind: CheckKind) -> CheckTimers {
        CheckTimers(delayLoop: c.delayLoop, delayBeforeRetry: c.delayBeforeRetry, retry: Int(c.retry),
                    warmup: c.warmup, alpha: c.alpha,
                    rise: c.riseWasGiven ? Int(c.rise) : nil, fall: c.fallWasGiven ? Int(c.fall) : nil,
                    logAllFailures: c.logAllFailures ?? false)
    }

    static func probe(for c: Checker, of rs: RealServer, in vs: VirtualServer) -> CheckProbe? {
        let (address, port) = c.target(of: rs)
        let target = CheckTarget(host: address.description, port: Int(port))
        switch c.kind {
        case .tcp:
            return .tcp(TCPCheck(target: target, bindAddress: c.connection.bindAddress?.description,
                                 bindPort: c.connection.bindPort.map(Int.init), connectTimeout: c.connectTimeout,
                                 fwmark: c.connection.firewallMark))
        case .http, .ssl:
            guard let h = c.http else { return nil }
            var urls: [HTTPURL] = []
            for u in h.urls {
                guard let codes = try? StatusCodeSet(u.statusCodes),
                      let url = try? HTTPURL(path: u.path, digest: u.digest, statusCodes: codes, virtualHost: u.virtualhost)
                else { return nil }
                urls.append(url)
            }
            guard !urls.isEmpty, let version = HealthCheck.HTTPProtocolVersion(keyword: h.httpProtocol.rawValue) else { return nil }
            return .http(HTTPCheck(
                target: target, tls: c.kind == .ssl, urls: urls, virtualHost: h.virtualhost,
                realServerVirtualHost: h.realServerVirtualhost, virtualServerVirtualHost: h.virtualServerVirtualhost,
                httpProtocol: version, enableSNI: h.enableSNI, sniName: h.sniName, connectTimeout: c.connectTimeout,
                fastRecovery: h.fastRecovery, bindAddress: c.connection.bindAddress?.description,
                fwmark: c.connection.firewallMark))
        case .misc:
            guard let m = c.misc, let path = m.script.arguments.first else { return nil }
            return .misc(MiscCheck(path: path, arguments: Array(m.script.arguments.dropFirst()), timeout: m.timeout,
                                   dynamic: m.dynamic))
        default:
            return nil
        }
    }

    /// A short digest of a checker's settings: a changed checker gets a new id, so a reload starts it fresh, as
    /// keepalived's checker `compare()` does. Ids are compared only within one lvsd process (a restart adopts
    /// kernel entries, not checker state), so the process-seeded `Hasher` is enough, and far cheaper than
    /// rendering the spec as text for thousands of checkers.
    static func fingerprint(_ spec: CheckSpec) -> String {
        String(UInt(bitPattern: spec.hashValue), radix: 16)
    }
}
