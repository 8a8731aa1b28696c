import HealthCheck
import IPVSKit
import KeepalivedConfig

/// What lvsd runs for one parsed keepalived.conf: the director's virtual-server specs and the health checks, each
/// with the real server it reports for.
///
/// This is the one place where the configuration model meets the director and the checker engine: config text →
/// ``KeepalivedConfiguration`` → ``KeepalivedSetup`` → ``Director`` (desired table → kernel) and, through
/// ``checkerPlan()``, ``HealthCheck/CheckEngine`` (checker results → ``CheckerEvent``).
///
/// Building the setup does only what the director needs to program the kernel; the checker engine's names and
/// routes (strings and a dictionary for every checker) are made by ``checkerPlan()``, after the table is in.
public struct KeepalivedSetup: Sendable {
    /// One spec per `virtual_server`, in file order.
    public var virtualServers: [VirtualServerSpec]
    /// Every check lvsd runs (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, UDP_CHECK, DNS_CHECK, PING_CHECK,
    /// SMTP_CHECK, one per server, and FILE_CHECK), in configuration order.
    public var checks: [PlannedCheck]
    /// Checkers that are parsed but not run (BFD), as `file:line: text`.
    public var notRun: [String]
    /// The virtual and real servers keepalived would mail about (`smtp_alert` resolved).
    public var smtpAlerts: SMTPAlertTargets
    /// The `announce` virtual servers (lvsd extension), in file order.
    public var announcements: [AnnouncementSpec] = []
    /// The FIFOs that get the checkers' `VS ...` and `RS ...` lines (`notify_fifo`, then `lvs_notify_fifo`).
    public var notifyFifos: [NotifyFifoSpec] = []

    /// Where a checker's verdicts go.
    public struct Route: Hashable, Sendable {
        /// The real server.
        public var realServer: RealServerID
        /// The director's name for the checker.
        public var checker: CheckerID
    }

    /// One health check of one real server, before the checker engine's name for it is made.
    public struct PlannedCheck: Sendable {
        /// What to probe and when.
        public var spec: CheckSpec
        /// Where its verdicts go.
        public var route: Route
        /// The virtual server as keepalived's log lines name it (`[10.0.0.1]:tcp:80`, `FWM 5`, `[GROUP]:1`).
        public var virtualServerName: String
        /// The real server's protocol as keepalived's log lines name it (`tcp`, `udp`, `sctp`).
        public var protocolName: String
        /// The checker's position within its real server block (0-based).
        public var index: Int

        /// The checker engine's identity for this check (used in log lines: `[10.0.0.2]:tcp:80`).
        public var healthCheckID: HealthCheck.CheckerID {
            let d = route.realServer.destination
            return HealthCheck.CheckerID(virtualServer: virtualServerName,
                                         realServer: "[\(d.address)]:\(protocolName):\(d.port)", index: index)
        }
    }

    /// The checker engine's configuration and the route of each checker's verdicts.
    public struct CheckerPlan: Sendable {
        /// Every checker, in configuration order.
        public var checkers: [HealthCheck.CheckerConfig]
        /// For each checker, the real server and director checker id its verdicts belong to.
        public var routes: [HealthCheck.CheckerID: Route]
    }

    /// Builds the setup from a parsed configuration (one without errors).
    public init(configuration config: KeepalivedConfiguration) {
        var specs: [VirtualServerSpec] = []
        var checks: [PlannedCheck] = []
        var notRun: [String] = []
        var alerts = SMTPAlertTargets()
        let globals = config.globalDefinitions
        notifyFifos = NotifyFifoSpec.checkerFifos(globals)
        alerts.noCheckerEmails = globals.noCheckerEmails
        alerts.realServerDefault = SMTPAlertTargets.realServerDefault(globals)
        specs.reserveCapacity(config.virtualServers.count)
        var announcements: [AnnouncementSpec] = []
        for vs in config.virtualServers {
            let instances = IPVSMapping.serviceKeys(for: vs, in: config)
            guard let firstKey = instances.first?.key else { continue }
            let service = IPVSMapping.service(for: vs, key: firstKey)
            var group: VirtualServerGroupSpec?
            if case .group(let name) = vs.address { group = VirtualServerGroupSpec(name: name, members: instances.map(\.key)) }
            let vsID: VirtualServerID = group.map { .group($0.name) } ?? .service(firstKey)
            if let a = vs.announce {
                announcements.append(AnnouncementSpec(virtualServer: vsID, addresses: AnnouncementSpec.addresses(of: instances.map(\.key)),
                                                      rise: a.rise, fall: a.fall))
            }
            // Behind ECMP every director's table must stay identical: a failed real server keeps its slot at
            // weight 0 (keepalived's inhibit_on_failure) instead of leaving and re-entering at the end.
            let inhibitAlways = vs.announce != nil
            var realServers: [RealServerSpec] = []
            realServers.reserveCapacity(vs.realServers.count)
            let vsName = vsID.description, protocolName = vs.protocolType.keepalivedName
            alerts.protocolNames[vsID] = protocolName
            if SMTPAlertTargets.alerts(vs, globals) { alerts.virtualServers.insert(vsID) }
            for rs in vs.realServers {
                let dest = IPVSMapping.destination(for: rs, in: firstKey)
                let rsID = RealServerID(vsID, dest.address, dest.port)
                if let own = rs.smtpAlert, own != alerts.realServerDefault { alerts.realServerOverrides[rsID] = own }
                var checkerSpecs: [CheckerSpec] = []
                var index = 0
                for checker in rs.checkers {
                    let probes = checker.kind.isActedUpon
                        ? KeepalivedSetup.probes(for: checker, of: rs, in: vs, weight: Int64(dest.weight)) : []
                    if probes.isEmpty {
                        notRun.append("\(checker.location): \(checker.kind.rawValue) is parsed but not run by lvsd")
                        index += 1
                        continue
                    }
                    // keepalived makes one checker of each SMTP_CHECK host block: each has its own index.
                    for probe in probes {
                        let spec = CheckSpec(probe: probe, timers: KeepalivedSetup.timers(for: checker, kind: probe.kind))
                        let directorID = CheckerID("\(probe.kind.rawValue)#\(index)-\(KeepalivedSetup.fingerprint(spec))")
                        checks.append(PlannedCheck(spec: spec, route: Route(realServer: rsID, checker: directorID),
                                                   virtualServerName: vsName, protocolName: protocolName, index: index))
                        checkerSpecs.append(CheckerSpec(id: directorID, alpha: checker.alpha))
                        index += 1
                    }
                }
                realServers.append(RealServerSpec(
                    address: dest.address, port: dest.port, forwarding: dest.forwarding, tunnel: dest.tunnel,
                    weight: dest.weight, upperThreshold: dest.upperThreshold, lowerThreshold: dest.lowerThreshold,
                    inhibitOnFailure: rs.inhibitOnFailure || inhibitAlways, alpha: rs.alpha, checkers: checkerSpecs,
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
        self.announcements = announcements
        self.checks = checks
        self.notRun = notRun
        smtpAlerts = alerts
    }

    /// The checker engine's configuration for ``checks`` and the route of each checker's verdicts.
    public func checkerPlan() -> CheckerPlan {
        var checkers: [HealthCheck.CheckerConfig] = []
        var routes: [HealthCheck.CheckerID: Route] = [:]
        checkers.reserveCapacity(checks.count)
        routes.reserveCapacity(checks.count)
        for check in checks {
            let id = check.healthCheckID
            checkers.append(HealthCheck.CheckerConfig(id: id, spec: check.spec))
            routes[id] = check.route
        }
        return CheckerPlan(checkers: checkers, routes: routes)
    }

    /// A URL's `regex` test, compiled by PCRE2 (nil when the URL has none).
    /// - Throws: when the pattern does not compile, with PCRE2's message and offset.
    public static func bodyRegex(_ u: HTTPCheckURL) throws(HTTPURLError) -> BodyRegex? {
        guard let pattern = u.regex else { return nil }
        return try BodyRegex(pattern: pattern, options: u.regexOptions, noMatch: u.regexNoMatch,
                             minOffset: Int(u.regexMinOffset ?? 0), maxOffset: u.regexMaxOffset.map { Int($0) },
                             stack: u.regexStack.map { Int($0.lowerBound)...Int($0.upperBound) })
    }

    static func script(_ s: KeepalivedConfig.ScriptCommand) -> ScriptCommand {
        ScriptCommand(s.arguments, user: s.user, group: s.group)
    }

    static func timers(for c: Checker, kind: CheckKind) -> CheckTimers {
        // A FILE_CHECK has no timers of its own: its file is read every second from the start.
        if kind == .file { return CheckTimers.defaults(for: .file) }
        return CheckTimers(delayLoop: c.delayLoop, delayBeforeRetry: c.delayBeforeRetry, retry: Int(c.retry),
                    warmup: c.warmup, alpha: c.alpha,
                    rise: c.riseWasGiven ? Int(c.rise) : nil, fall: c.fallWasGiven ? Int(c.fall) : nil,
                    logAllFailures: c.logAllFailures ?? false)
    }

    /// The probes of one checker block: one, or for SMTP_CHECK one per server (`host` blocks); none when the
    /// block cannot run. `weight` is the real server's configured weight (FILE_CHECK adds to it).
    static func probes(for c: Checker, of rs: RealServer, in vs: VirtualServer, weight: Int64) -> [CheckProbe] {
        switch c.kind {
        case .smtp:
            guard let smtp = c.smtp else { return [] }
            return c.smtpTargets.map { t in
                let target = CheckTarget(host: (t.connection.ip ?? rs.address).description,
                                         port: Int(t.connection.port ?? rs.port))
                return .smtp(SMTPCheck(target: target, bindAddress: t.connection.bindAddress?.description,
                                       bindPort: t.connection.bindPort.map(Int.init), connectTimeout: t.connectTimeout,
                                       fwmark: t.connection.firewallMark, heloName: smtp.heloName,
                                       realServerName: "[\(rs.address)]:\(rs.port)"))
            }
        case .file:
            guard let f = c.file else { return [] }
            return [.file(FileCheck(name: f.name, path: f.path, weight: f.weight, reverse: f.reverse, baseWeight: weight,
                                    initValue: f.initValue, initOverwrite: f.initOverwrite))]
        default:
            return probe(for: c, of: rs, in: vs).map { [$0] } ?? []
        }
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
                let regex: BodyRegex?
                do throws(HTTPURLError) { regex = try bodyRegex(u) } catch { return nil }
                guard let codes = try? StatusCodeSet(u.statusCodes),
                      let url = try? HTTPURL(path: u.path, digest: u.digest, statusCodes: codes, virtualHost: u.virtualhost,
                                             regex: regex)
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
                                   dynamic: m.dynamic, user: m.script.user, group: m.script.group))
        case .udp:
            guard let u = c.udp else { return nil }
            let reply = u.replyPattern.map { ReplyPattern(bytes: $0, wildcards: u.replyWildcards) }
            return .udp(UDPCheck(target: target, bindAddress: c.connection.bindAddress?.description,
                                 bindPort: c.connection.bindPort.map(Int.init), connectTimeout: c.connectTimeout,
                                 fwmark: c.connection.firewallMark, payload: u.payload, requireReply: u.requireReply,
                                 reply: reply, minReplyLength: Int(u.minReplyLength),
                                 maxReplyLength: Int(u.maxReplyLength)))
        case .dns:
            guard let d = c.dns, let type = DNSRecordType(name: d.type) else { return nil }
            return .dns(DNSCheck(target: target, bindAddress: c.connection.bindAddress?.description,
                                 bindPort: c.connection.bindPort.map(Int.init), connectTimeout: c.connectTimeout,
                                 fwmark: c.connection.firewallMark, type: type, name: d.name))
        case .ping:
            return .ping(PingCheck(target: target, bindAddress: c.connection.bindAddress?.description,
                                   connectTimeout: c.connectTimeout, fwmark: c.connection.firewallMark))
        case .smtp, .file, .bfd:
            return nil  // SMTP and FILE: probes(for:of:in:weight:)
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
