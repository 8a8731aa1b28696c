/// The options ipvsadm declares to popt: long name, short letter, and whether they take an argument.
enum OptionTag: Sendable, Hashable {
    case addService, editService, deleteService, clear, list, zero, addServer, editServer, deleteServer
    case set, help, version, restore, save, startDaemon, stopDaemon
    case tcpService, udpService, sctpService, fwmarkService, scheduler, persistent, netmask, realServer
    case masquerading, ipip, gatewaying, weight, upperThreshold, lowerThreshold, numeric, connection
    case mcastInterface, syncID, timeout, daemon, stats, rate, thresholds, persistentConn, noSort, sort
    case exact, ipv6, ops, pe, schedFlags, mcastGroup, mcastPort, mcastTTL, syncMaxLen
    case tunInfo, tunType, tunPort, tunNoCsum, tunCsum, tunRemCsum
}

/// Whether an option takes an argument.
enum ArgumentKind: Sendable {
    case none, required, optional
}

struct OptionSpec: Sendable {
    let long: String
    let short: Character?
    let argument: ArgumentKind
    let tag: OptionTag
}

/// ipvsadm's popt option table, in its declaration order (popt takes the first match).
let ipvsadmOptions: [OptionSpec] = [
    OptionSpec(long: "add-service", short: "A", argument: .none, tag: .addService),
    OptionSpec(long: "edit-service", short: "E", argument: .none, tag: .editService),
    OptionSpec(long: "delete-service", short: "D", argument: .none, tag: .deleteService),
    OptionSpec(long: "clear", short: "C", argument: .none, tag: .clear),
    OptionSpec(long: "list", short: "L", argument: .none, tag: .list),
    OptionSpec(long: "list", short: "l", argument: .none, tag: .list),
    OptionSpec(long: "zero", short: "Z", argument: .none, tag: .zero),
    OptionSpec(long: "add-server", short: "a", argument: .none, tag: .addServer),
    OptionSpec(long: "edit-server", short: "e", argument: .none, tag: .editServer),
    OptionSpec(long: "delete-server", short: "d", argument: .none, tag: .deleteServer),
    OptionSpec(long: "set", short: nil, argument: .none, tag: .set),
    OptionSpec(long: "help", short: "h", argument: .none, tag: .help),
    OptionSpec(long: "version", short: "v", argument: .none, tag: .version),
    OptionSpec(long: "restore", short: "R", argument: .none, tag: .restore),
    OptionSpec(long: "save", short: "S", argument: .none, tag: .save),
    OptionSpec(long: "start-daemon", short: nil, argument: .required, tag: .startDaemon),
    OptionSpec(long: "stop-daemon", short: nil, argument: .required, tag: .stopDaemon),
    OptionSpec(long: "tcp-service", short: "t", argument: .required, tag: .tcpService),
    OptionSpec(long: "udp-service", short: "u", argument: .required, tag: .udpService),
    OptionSpec(long: "sctp-service", short: nil, argument: .required, tag: .sctpService),
    OptionSpec(long: "fwmark-service", short: "f", argument: .required, tag: .fwmarkService),
    OptionSpec(long: "scheduler", short: "s", argument: .required, tag: .scheduler),
    OptionSpec(long: "persistent", short: "p", argument: .optional, tag: .persistent),
    OptionSpec(long: "netmask", short: "M", argument: .required, tag: .netmask),
    OptionSpec(long: "real-server", short: "r", argument: .required, tag: .realServer),
    OptionSpec(long: "masquerading", short: "m", argument: .none, tag: .masquerading),
    OptionSpec(long: "ipip", short: "i", argument: .none, tag: .ipip),
    OptionSpec(long: "gatewaying", short: "g", argument: .none, tag: .gatewaying),
    OptionSpec(long: "weight", short: "w", argument: .required, tag: .weight),
    OptionSpec(long: "u-threshold", short: "x", argument: .required, tag: .upperThreshold),
    OptionSpec(long: "l-threshold", short: "y", argument: .required, tag: .lowerThreshold),
    OptionSpec(long: "numeric", short: "n", argument: .none, tag: .numeric),
    OptionSpec(long: "connection", short: "c", argument: .none, tag: .connection),
    OptionSpec(long: "mcast-interface", short: nil, argument: .required, tag: .mcastInterface),
    OptionSpec(long: "syncid", short: nil, argument: .required, tag: .syncID),
    OptionSpec(long: "timeout", short: nil, argument: .none, tag: .timeout),
    OptionSpec(long: "daemon", short: nil, argument: .none, tag: .daemon),
    OptionSpec(long: "stats", short: nil, argument: .none, tag: .stats),
    OptionSpec(long: "rate", short: nil, argument: .none, tag: .rate),
    OptionSpec(long: "thresholds", short: nil, argument: .none, tag: .thresholds),
    OptionSpec(long: "persistent-conn", short: nil, argument: .none, tag: .persistentConn),
    OptionSpec(long: "nosort", short: nil, argument: .none, tag: .noSort),
    OptionSpec(long: "sort", short: nil, argument: .none, tag: .sort),
    OptionSpec(long: "exact", short: "X", argument: .none, tag: .exact),
    OptionSpec(long: "ipv6", short: "6", argument: .none, tag: .ipv6),
    OptionSpec(long: "ops", short: "o", argument: .none, tag: .ops),
    OptionSpec(long: "pe", short: nil, argument: .required, tag: .pe),
    OptionSpec(long: "sched-flags", short: "b", argument: .required, tag: .schedFlags),
    OptionSpec(long: "mcast-group", short: nil, argument: .required, tag: .mcastGroup),
    OptionSpec(long: "mcast-port", short: nil, argument: .required, tag: .mcastPort),
    OptionSpec(long: "mcast-ttl", short: nil, argument: .required, tag: .mcastTTL),
    OptionSpec(long: "sync-maxlen", short: nil, argument: .required, tag: .syncMaxLen),
    OptionSpec(long: "tun-info", short: nil, argument: .none, tag: .tunInfo),
    OptionSpec(long: "tun-type", short: nil, argument: .required, tag: .tunType),
    OptionSpec(long: "tun-port", short: nil, argument: .required, tag: .tunPort),
    OptionSpec(long: "tun-nocsum", short: nil, argument: .none, tag: .tunNoCsum),
    OptionSpec(long: "tun-csum", short: nil, argument: .none, tag: .tunCsum),
    OptionSpec(long: "tun-remcsum", short: nil, argument: .none, tag: .tunRemCsum),
]

/// One step of option scanning.
enum ScanEvent: Sendable, Equatable {
    /// An option and its argument, if it took one.
    case option(OptionTag, String?)
    /// No more options (the remaining words are leftovers).
    case end
    /// A popt error: popt's message (`unknown option`, `missing argument`, ...).
    case error(String)
}

/// A re-implementation of the parts of popt's `poptGetNextOpt` that ipvsadm's table exercises: grouped short
/// options (`-Ln`), joined arguments (`-srr`, `-s=rr`, `--scheduler=rr`), optional arguments (`-p [timeout]`),
/// `--` and leftover (non-option) words, which popt hands out afterwards in order.
struct PoptScanner {
    private let words: [String]
    private var next = 0
    private var groupRest: Substring?
    private(set) var leftovers: [String] = []
    private var leftoverIndex = 0
    /// `words` excludes the program name.
    init(_ words: [String]) {
        self.words = words
    }

    /// Short letter (ASCII) -> first option declaring it (popt takes the first match), built once.
    private static let byShort: [OptionSpec?] = {
        var d = [OptionSpec?](repeating: nil, count: 128)
        for o in ipvsadmOptions.reversed() {
            if let c = o.short?.asciiValue { d[Int(c)] = o }
        }
        return d
    }()

    /// Long name -> first option declaring it.
    private static let byLong: [String: OptionSpec] = {
        var d: [String: OptionSpec] = [:]
        for o in ipvsadmOptions.reversed() { d[o.long] = o }
        return d
    }()

    /// What popt's `poptBadOption(..., POPT_BADOPTION_NOALIAS)` returns: the last word consumed.
    var badOption: String { next > 0 ? words[next - 1] : "" }

    /// popt's `poptGetArg`: the next leftover word.
    mutating func nextLeftover() -> String? {
        guard leftoverIndex < leftovers.count else { return nil }
        defer { leftoverIndex += 1 }
        return leftovers[leftoverIndex]
    }

    mutating func nextOption() -> ScanEvent {
        while true {
            if let rest = groupRest {
                groupRest = nil
                guard let c = rest.utf8.first, c < 128, let spec = Self.byShort[Int(c)] else {
                    return .error("unknown option")
                }
                var after = rest.dropFirst()
                if !after.isEmpty {
                    if after.first == "=" { after = after.dropFirst() }
                    groupRest = after
                }
                return takeArgument(spec, inline: nil)
            }
            guard next < words.count else { return .end }
            let word = words[next]
            next += 1
            if word == "--" {
                leftovers.append(contentsOf: words[next...])
                next = words.count
                return .end
            }
            if !word.hasPrefix("-") || word == "-" {
                leftovers.append(word)
                continue
            }
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let name: Substring
                var inline: String?
                if let eq = body.firstIndex(of: "=") {
                    name = body[..<eq]
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = body
                }
                guard let spec = Self.byLong[String(name)] else { return .error("unknown option") }
                if spec.argument == .none, inline != nil { return .error("option does not take an argument") }
                return takeArgument(spec, inline: inline)
            }
            groupRest = word.dropFirst()
        }
    }

    private mutating func takeArgument(_ spec: OptionSpec, inline: String?) -> ScanEvent {
        if spec.argument == .none { return .option(spec.tag, nil) }
        if let inline { return .option(spec.tag, inline) }
        if let rest = groupRest {
            groupRest = nil
            return .option(spec.tag, String(rest))
        }
        guard next < words.count else {
            return spec.argument == .optional ? .option(spec.tag, nil) : .error("missing argument")
        }
        if spec.argument == .optional, words[next].hasPrefix("-") { return .option(spec.tag, nil) }
        next += 1
        return .option(spec.tag, words[next - 1])
    }
}
