/// ipvsadm's commands, in the order of its `cmdnames` table (the order matters: it indexes the validity table).
public enum AdmCommand: Int, Sendable, Hashable, CaseIterable {
    case addService = 0, editService, deleteService, flush, list, addServer, deleteServer, editServer
    case setTimeouts, startDaemon, stopDaemon, restore, save, zero

    /// The name ipvsadm uses in its error messages (`add-service`, `list`, ...).
    public var name: String {
        switch self {
        case .addService: "add-service"
        case .editService: "edit-service"
        case .deleteService: "delete-service"
        case .flush: "flush"
        case .list: "list"
        case .addServer: "add-server"
        case .deleteServer: "delete-server"
        case .editServer: "edit-server"
        case .setTimeouts: "set"
        case .startDaemon: "start-daemon"
        case .stopDaemon: "stop-daemon"
        case .restore: "restore"
        case .save: "save"
        case .zero: "zero"
        }
    }
}

/// ipvsadm's option classes (`OPTC_*`), in bit order; the raw value is the bit number.
public enum AdmOption: Int, Sendable, Hashable, CaseIterable {
    case numeric = 0, connection, service, scheduler, persistent, netmask, server, forward, weight
    case upperThreshold, lowerThreshold, mcastInterface, timeout, daemon, stats, rate, thresholds
    case persistentConn, noSort, syncID, exact, onePacket, persistenceEngine, schedFlags, mcastGroup
    case mcastPort, mcastTTL, syncMaxLen, tunInfo, tunType, tunPort, tunNoCsum, tunCsum, tunRemCsum

    /// The name ipvsadm uses in its error messages (`service-address`, `real-server`, ...).
    public var name: String {
        Self.names[rawValue]
    }

    private static let names = [
        "numeric", "connection", "service-address", "scheduler", "persistent", "netmask", "real-server",
        "forwarding-method", "weight", "u-threshold", "l-threshold", "mcast-interface", "timeout", "daemon",
        "stats", "rate", "thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
        "sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen", "tun-info", "tun-type",
        "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
    ]
}

/// A set of ``AdmOption`` values, as ipvsadm's 64-bit option mask.
public struct AdmOptionSet: Sendable, Hashable {
    public private(set) var bits: UInt64 = 0
    public init() {}
    public func contains(_ o: AdmOption) -> Bool { bits & (1 << UInt64(o.rawValue)) != 0 }
    public mutating func insert(_ o: AdmOption) { bits |= 1 << UInt64(o.rawValue) }
    public func containsAny(_ os: AdmOption...) -> Bool { os.contains { contains($0) } }
}

/// ipvsadm's `commands_v_options` table: `+` compulsory, `x` illegal, `1` exclusive, space optional.
enum ValidityTable {
    // Columns follow AdmOption's order:
    //  -n -c svc -s -p -M -r fwd -w -x -y mc tot dmn st rt thr pc srt sid ex ops pe -b grp port ttl size tinf type tprt nocs csum remc
    static let rows: [String] = [
        "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",  // add-service
        "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",  // edit-service
        "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // delete-service
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // flush
        " 11xxxxxxxxx11       xxxxxxx xxxxx",  // list
        "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",  // add-server
        "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",  // delete-server
        "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",  // edit-server
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // set
        "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",  // start-daemon
        "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",  // stop-daemon
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // restore
        " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // save
        "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // zero
    ]

    /// The rows as bytes, converted once (per-character String access is slow on a hot path such as `-R`).
    static let table: [[UInt8]] = rows.map { Array($0.utf8) }

    static func entry(_ c: AdmCommand, _ o: AdmOption) -> Character {
        Character(Unicode.Scalar(table[c.rawValue][o.rawValue]))
    }

    /// Per command: the compulsory, illegal and exclusive options as bit masks, for the common case where the
    /// options pass (a restore checks every line).
    static let masks: [(compulsory: UInt64, illegal: UInt64, exclusive: UInt64)] = table.map { row in
        var masks: (compulsory: UInt64, illegal: UInt64, exclusive: UInt64) = (0, 0, 0)
        for (bit, entry) in row.enumerated() {
            switch entry {
            case UInt8(ascii: "+"): masks.compulsory |= 1 << UInt64(bit)
            case UInt8(ascii: "x"): masks.illegal |= 1 << UInt64(bit)
            case UInt8(ascii: "1"): masks.exclusive |= 1 << UInt64(bit)
            default: break
            }
        }
        return masks
    }

    /// ipvsadm's `generic_opt_check`: the first violation, in option order, as its message.
    static func check(_ c: AdmCommand, _ options: AdmOptionSet) -> String? {
        let m = masks[c.rawValue]
        if m.compulsory & ~options.bits == 0, m.illegal & options.bits == 0, (m.exclusive & options.bits).nonzeroBitCount <= 1 {
            return nil
        }
        var last: AdmOption?
        for o in AdmOption.allCases {
            let e = entry(c, o)
            if !options.contains(o) {
                if e == "+" { return "You need to supply the '\(o.name)' option for the '\(c.name)' command" }
            } else {
                if e == "x" { return "Illegal '\(o.name)' option with the '\(c.name)' command" }
                if e == "1" {
                    if let l = last {
                        return "The option '\(o.name)' conflicts with the '\(l.name)' option in the '\(c.name)' command"
                    }
                    last = o
                }
            }
        }
        return nil
    }
}
