import IPVSKit
#if canImport(Glibc)
import Glibc
#endif

/// ipvsadm 1.31's command line: the same words accepted, the same refusals with the same messages and statuses.
public struct CommandLineParser: Sendable {
    /// Resolves host and service names in addresses.
    public var resolver: any NameResolver
    /// The program name used in "Try `%s -h'" messages (ipvsadm's `argv[0]`).
    public var programName: String
    /// Accept firewall marks printed as negative numbers (what `ipvsadm -S` writes for marks of 2^31 and more).
    public var acceptsNegativeFirewallMarks: Bool

    /// Largest weight ipvsadm accepts.
    static let maxWeight: Int64 = Int64(Int32.max)
    /// ipvsadm's `MAX_TIMEOUT`: 31 days.
    static let maxTimeout: Int64 = 86400 * 31
    /// ipvsadm's default persistence timeout.
    public static let defaultPersistence: UInt32 = 360

    public init(resolver: any NameResolver = SystemResolver(), programName: String = "ipvsadm",
                acceptsNegativeFirewallMarks: Bool = false) {
        self.resolver = resolver
        self.programName = programName
        self.acceptsNegativeFirewallMarks = acceptsNegativeFirewallMarks
    }

    /// Parses the words after the program name.
    public func parse(_ words: [String]) throws(AdmFailure) -> Invocation {
        var scan = PoptScanner(words)
        var ce: ParsedCommand
        switch scan.nextOption() {
        case .option(let tag, let arg):
            switch tag {
            case .addService: ce = ParsedCommand(command: .addService)
            case .editService: ce = ParsedCommand(command: .editService)
            case .deleteService: ce = ParsedCommand(command: .deleteService)
            case .addServer: ce = ParsedCommand(command: .addServer)
            case .editServer: ce = ParsedCommand(command: .editServer)
            case .deleteServer: ce = ParsedCommand(command: .deleteServer)
            case .clear: ce = ParsedCommand(command: .flush)
            case .list: ce = ParsedCommand(command: .list)
            case .zero: ce = ParsedCommand(command: .zero)
            case .set: ce = ParsedCommand(command: .setTimeouts)
            case .restore: ce = ParsedCommand(command: .restore)
            case .save: ce = ParsedCommand(command: .save)
            case .startDaemon:
                ce = ParsedCommand(command: .startDaemon)
                switch arg {
                case "master": ce.daemon.state = .master
                case "backup": ce.daemon.state = .backup
                default: throw .fail("illegal start-daemon parameter specified")
                }
            case .stopDaemon:
                ce = ParsedCommand(command: .stopDaemon)
                switch arg {
                case "master": ce.daemon.state = .master
                case "backup": ce.daemon.state = .backup
                default: throw .fail("illegal start_daemon specified")
                }
            case .help: return .help
            case .version: return .version
            default: throw .tryHelp(programName)
            }
        case .end, .error:
            throw .tryHelp(programName)
        }

        var schedFlagsArgument = ""
        loop: while true {
            let event = scan.nextOption()
            let tag: OptionTag
            let arg: String?
            switch event {
            case .end: break loop
            case .error(let text):
                throw AdmFailure(message: "\(scan.badOption): \(text)\n", status: 255, endsRestore: false)
            case .option(let t, let a):
                tag = t
                arg = a
            }
            let value = arg ?? ""
            switch tag {
            case .tcpService, .udpService, .sctpService:
                try set(.service, in: &ce)
                ce.service.protocolNumber = tag == .tcpService ? 6 : tag == .udpService ? 17 : 132
                var target = ce.service
                let parsed = parseService(value, into: &target)
                ce.service = target
                if !parsed.address { throw .fail("illegal virtual server address[:port] specified") }
            case .fwmarkService:
                try set(.service, in: &ce)
                ce.service.family = .inet
                ce.service.protocolNumber = 6
                ce.service.fwmark = try parseFirewallMark(value)
            case .scheduler:
                try set(.scheduler, in: &ce)
                ce.service.scheduler = String(decoding: value.utf8.prefix(15), as: UTF8.self)
            case .persistent:
                try set(.persistent, in: &ce)
                ce.service.flags |= ServiceFlags.persistent.rawValue
                if let arg {
                    guard let t = CNumber.number(arg, 1, Self.maxTimeout) else {
                        throw .fail("invalid timeout value `\(arg)' specified")
                    }
                    ce.service.timeout = UInt32(t)
                } else {
                    ce.service.timeout = Self.defaultPersistence
                }
            case .netmask:
                try set(.netmask, in: &ce)
                if ce.service.family != .inet6 {
                    guard let m = resolver.ipv4Address(forHost: value), case .v4(let v) = m else {
                        throw .fail("illegal virtual server persistent mask specified")
                    }
                    ce.service.netmask = v
                } else {
                    let m = CNumber.atoi(value)
                    guard (1...128).contains(m) else { throw .fail("illegal ipv6 netmask specified") }
                    ce.service.netmask = UInt32(m)
                }
            case .realServer:
                try set(.server, in: &ce)
                var t = ce.service
                let parsed = parseService(value, into: &t)
                ce.destination.family = t.family
                ce.destination.address = t.address
                ce.destination.port = t.port
                if !parsed.address { throw .fail("illegal real server address[:port] specified") }
                if !parsed.port { ce.destination.port = ce.service.port }
            case .ipip:
                try set(.forward, in: &ce)
                ce.destination.forwarding = .tunnel
            case .gatewaying:
                try set(.forward, in: &ce)
                ce.destination.forwarding = .route
            case .masquerading:
                try set(.forward, in: &ce)
                ce.destination.forwarding = .masquerade
            case .weight:
                try set(.weight, in: &ce)
                guard let w = CNumber.number(value, 0, Self.maxWeight) else { throw .fail("illegal weight specified") }
                ce.destination.weight = Int32(w)
            case .upperThreshold:
                try set(.upperThreshold, in: &ce)
                guard let x = CNumber.number(value, 0, Int64(Int32.max)) else { throw .fail("illegal u_threshold specified") }
                ce.destination.upperThreshold = UInt32(x)
            case .lowerThreshold:
                try set(.lowerThreshold, in: &ce)
                guard let y = CNumber.number(value, 0, Int64(Int32.max)) else { throw .fail("illegal l_threshold specified") }
                ce.destination.lowerThreshold = UInt32(y)
            case .connection:
                try set(.connection, in: &ce)
            case .numeric:
                try set(.numeric, in: &ce)
                ce.format.insert(.numeric)
            case .mcastInterface:
                try set(.mcastInterface, in: &ce)
                ce.daemon.interface = String(decoding: value.utf8.prefix(15), as: UTF8.self)
            case .syncID:
                try set(.syncID, in: &ce)
                guard let id = CNumber.number(value, 0, 255) else { throw .fail("illegal syncid specified") }
                ce.daemon.syncID = UInt32(id)
            case .timeout:
                try set(.timeout, in: &ce)
            case .daemon:
                try set(.daemon, in: &ce)
            case .stats:
                try set(.stats, in: &ce)
                ce.format.insert(.stats)
            case .rate:
                try set(.rate, in: &ce)
                ce.format.insert(.rate)
            case .thresholds:
                try set(.thresholds, in: &ce)
                ce.format.insert(.thresholds)
            case .persistentConn:
                try set(.persistentConn, in: &ce)
                ce.format.insert(.persistentConn)
            case .noSort:
                try set(.noSort, in: &ce)
                ce.format.insert(.noSort)
            case .sort:
                break
            case .exact:
                try set(.exact, in: &ce)
                ce.format.insert(.exact)
            case .ipv6:
                guard ce.service.fwmark != 0 else { throw .fail("-6 used before -f\n") }
                ce.service.family = .inet6
                ce.service.netmask = 128
            case .ops:
                try set(.onePacket, in: &ce)
                ce.service.flags |= ServiceFlags.onePacket.rawValue
            case .pe:
                try set(.persistenceEngine, in: &ce)
                ce.service.persistenceEngine = String(decoding: value.utf8.prefix(15), as: UTF8.self)
            case .schedFlags:
                try set(.schedFlags, in: &ce)
                schedFlagsArgument = String(decoding: value.utf8.prefix(127), as: UTF8.self)
            case .mcastGroup:
                try set(.mcastGroup, in: &ce)
                if value.contains(":") {
                    guard let a = IPAddress(value), a.family == .inet6, case .v6(let hi, _) = a, hi >> 56 == 0xFF else {
                        throw .fail("invalid IPv6 mcast-group `\(value)'")
                    }
                    ce.daemon.group = a
                } else {
                    var raw = in_addr()
                    guard inet_pton(AF_INET, value, &raw) == 1 else { throw .fail("invalid IPv4 mcast-group `\(value)'") }
                    let v = UInt32(bigEndian: raw.s_addr)
                    guard v >> 28 == 0xE else { throw .fail("invalid IPv4 mcast-group `\(value)'") }
                    ce.daemon.group = .v4(v)
                }
            case .mcastPort:
                try set(.mcastPort, in: &ce)
                guard let p = CNumber.number(value, 1, 65535) else { throw .fail("illegal mcast-port specified") }
                ce.daemon.port = UInt16(p)
            case .mcastTTL:
                try set(.mcastTTL, in: &ce)
                guard let t = CNumber.number(value, 1, 255) else { throw .fail("illegal mcast-ttl specified") }
                ce.daemon.ttl = UInt8(t)
            case .syncMaxLen:
                try set(.syncMaxLen, in: &ce)
                guard let m = CNumber.number(value, 1, 65535 - 20 - 8) else { throw .fail("illegal sync-maxlen specified") }
                ce.daemon.maxLength = UInt16(m)
            case .tunInfo:
                try set(.tunInfo, in: &ce)
                ce.format.insert(.tunInfo)
            case .tunType:
                try set(.tunType, in: &ce)
                switch value {
                case "ipip": ce.destination.tunnelType = 0
                case "gue": ce.destination.tunnelType = 1
                case "gre": ce.destination.tunnelType = 2
                default: throw .fail("illegal tunnel type specified")
                }
            case .tunPort:
                try set(.tunPort, in: &ce)
                guard let p = CNumber.number(value, 1, 65535) else { throw .fail("illegal tunnel port specified") }
                ce.destination.tunnelPort = UInt16(p)
            case .tunNoCsum:
                try set(.tunNoCsum, in: &ce)
            case .tunCsum:
                try set(.tunCsum, in: &ce)
                ce.destination.tunnelFlags |= 1
            case .tunRemCsum:
                try set(.tunRemCsum, in: &ce)
                ce.destination.tunnelFlags |= 2
            default:
                throw .fail("invalid option `\(scan.badOption)'")
            }
        }

        if ce.command == .setTimeouts {
            guard let a = scan.nextLeftover(), let b = scan.nextLeftover(), let c = scan.nextLeftover() else {
                throw .fail("--set option requires 3 timeout values")
            }
            ce.timeouts = Timeouts(tcp: try timeoutValue(a), tcpFin: try timeoutValue(b), udp: try timeoutValue(c))
        }
        if let extra = scan.nextLeftover() { throw .fail("unexpected argument \(extra)") }
        if !schedFlagsArgument.isEmpty {
            ce.service.flags &= ~(ServiceFlags.scheduler1.rawValue | ServiceFlags.scheduler2.rawValue | ServiceFlags.scheduler3.rawValue)
            ce.service.flags |= try parseSchedulerFlags(schedFlagsArgument, scheduler: ce.service.scheduler)
        }
        try validate(&ce)
        return .command(ce)
    }

    private func set(_ o: AdmOption, in ce: inout ParsedCommand) throws(AdmFailure) {
        if ce.options.contains(o) { throw .fail("multiple '\(o.name)' options specified") }
        ce.options.insert(o)
    }

    private func timeoutValue(_ s: String) throws(AdmFailure) -> UInt32 {
        guard let v = CNumber.number(s, 0, Self.maxTimeout) else { throw .fail("invalid timeout value `\(s)' specified") }
        return UInt32(v)
    }

    private func parseFirewallMark(_ s: String) throws(AdmFailure) -> UInt32 {
        if let (v, overflow) = CNumber.strtol(s), !overflow {
            if v > 0, v <= Int64(UInt32.max) { return UInt32(v) }
            if acceptsNegativeFirewallMarks, v < 0, v >= Int64(Int32.min) { return UInt32(bitPattern: Int32(v)) }
        }
        throw .fail("invalid fwmark value `\(s)' specified")
    }

    private func parseSchedulerFlags(_ arg: String, scheduler: String) throws(AdmFailure) -> UInt32 {
        let sched = scheduler.isEmpty ? "wlc" : scheduler
        var flags: UInt32 = 0
        let tokens = arg.split(separator: ",", omittingEmptySubsequences: true)
        if tokens.isEmpty { throw .fail("invalid scheduler flag `(null)'") }
        for t in tokens {
            switch t {
            case "flag-1": flags |= 0x08
            case "flag-2": flags |= 0x10
            case "flag-3": flags |= 0x20
            case "sh-fallback", "sh-port", "mh-fallback", "mh-port":
                flags |= t.hasSuffix("fallback") ? 0x08 : 0x10
                if sched != String(t.prefix(2)) { throw .fail("incompatible scheduler flag `\(t)'") }
            default:
                throw .fail("invalid scheduler flag `\(t)'")
            }
        }
        return flags
    }

    /// ipvsadm's `parse_service`: which parts (address, port) were set.
    func parseService(_ text: String, into svc: inout ServiceSpec) -> (address: Bool, port: Bool) {
        if CNumber.isAllDigits(text) { return (false, false) }
        var buf = Substring(text)
        var portText: Substring?
        if buf.first == "[" {
            buf = buf.dropFirst()
            guard let close = buf.firstIndex(of: "]") else { return (false, false) }
            let after = buf[buf.index(after: close)...]
            buf = buf[..<close]
            guard after.first == ":" else { return (false, false) }
            portText = after.dropFirst()
        }
        // Every IPv6 text form has at least two colons; skip inet_pton for `a.b.c.d:port` and host names.
        if buf.utf8.lazy.filter({ $0 == UInt8(ascii: ":") }).count >= 2, let a6 = Self.ipv6(String(buf)) {
            svc.address = a6
            svc.family = .inet6
            svc.netmask = 128
        } else {
            portText = nil
            if let colon = buf.lastIndex(of: ":") {
                portText = buf[buf.index(after: colon)...]
                buf = buf[..<colon]
            }
            guard let a4 = resolver.ipv4Address(forHost: String(buf)) else { return (false, false) }
            svc.address = a4
            svc.family = .inet
        }
        guard let portText else { return (true, false) }
        if let n = CNumber.number(portText, 0, 65535) {
            svc.port = UInt16(n)
        } else if let p = resolver.port(forService: String(portText), protocol: svc.protocolNumber) {
            svc.port = p
        } else {
            return (false, false)
        }
        return (true, true)
    }

    static func ipv6(_ s: String) -> IPAddress? {
        var raw = in6_addr()
        guard inet_pton(AF_INET6, s, &raw) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
        return IPAddress(bytes: bytes, family: .inet6)
    }

    /// The checks `process_options` makes after parsing.
    private func validate(_ ce: inout ParsedCommand) throws(AdmFailure) {
        if let message = ValidityTable.check(ce.command, ce.options) { throw .fail(message) }
        if ce.command == .addService || ce.command == .editService {
            if ce.service.fwmark == 0, ce.service.port == 0, ce.service.flags & ServiceFlags.persistent.rawValue == 0 {
                throw .fail("Zero port specified for non-persistent service")
            }
            if ce.service.flags & ServiceFlags.onePacket.rawValue != 0, ce.service.fwmark == 0, ce.service.protocolNumber != 17 {
                throw .fail("One-Packet Scheduling is only for UDP virtual services")
            }
            if ce.service.scheduler.isEmpty { ce.service.scheduler = "wlc" }
        }
        if ce.command == .startDaemon, ce.daemon.interface.isEmpty { ce.daemon.interface = "eth0" }
        if ce.command == .addServer || ce.command == .editServer {
            let fwd = ce.destination.forwarding
            if ce.service.fwmark == 0, fwd == .tunnel || fwd == .route { ce.destination.port = ce.service.port }
            if ce.destination.family != ce.service.family, fwd != .tunnel {
                throw .fail("Different address family is allowed only for tunneling servers")
            }
            if ce.options.containsAny(.tunType, .tunPort, .tunNoCsum, .tunCsum, .tunRemCsum), fwd != .tunnel {
                throw .fail("Tunnel options conflict with forward method")
            }
            try tunnelCheck(ce)
        }
        if ce.command == .list {
            let o = ce.options
            if (o.containsAny(.connection, .timeout, .daemon) && o.containsAny(.stats, .rate, .thresholds))
                || (o.containsAny(.timeout, .daemon) && o.contains(.persistentConn)) {
                throw .fail("options conflicts in the list command")
            }
        }
    }

    /// ipvsadm's `tunnel_opt_check` over `tunnel_types_v_options`.
    private func tunnelCheck(_ ce: ParsedCommand) throws(AdmFailure) {
        let names = ["ipip", "gue", "gre"]
        let table: [[Character]] = [["x", "x", "x", "x"], ["+", "1", "1", "1"], ["x", "1", "1", "x"]]
        let opts: [AdmOption] = [.tunPort, .tunNoCsum, .tunCsum, .tunRemCsum]
        let type = Int(ce.destination.tunnelType)
        guard type < table.count else { return }
        var last: AdmOption?
        for (j, o) in opts.enumerated() {
            let e = table[type][j]
            if !ce.options.contains(o) {
                if e == "+" { throw .fail("You need to supply the '\(o.name)' option for the '\(names[type])' tunnel type") }
            } else {
                if e == "x" { throw .fail("Illegal '\(o.name)' option with the '\(names[type])' tunnel type") }
                if e == "1" {
                    if let l = last {
                        throw .fail("The option '\(o.name)' conflicts with the '\(l.name)' option in the '\(names[type])' tunnel type")
                    }
                    last = o
                }
            }
        }
    }
}
