import IPVSKit

/// How to read a configuration.
public struct ParseOptions: Hashable, Sendable {
    /// Config-test mode (`lvsd -t`): unknown keywords are errors, not warnings.
    public var strict: Bool
    /// The config id `@ID` lines are compared with (keepalived's `-i`); `nil` means the short host name.
    public var configID: String?
    /// Creates options.
    public init(strict: Bool = false, configID: String? = nil) {
        self.strict = strict
        self.configID = configID
    }
}

/// A parsed configuration and everything said about it.
public struct ParseResult: Sendable {
    /// The configuration (whatever could be understood, even when there are errors).
    public var configuration: KeepalivedConfiguration
    /// Warnings and errors in reading order (by file as first read, then line).
    public var diagnostics: [Diagnostic]

    /// The errors.
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    /// The warnings.
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    /// Whether any error was found: `lvsd -t` fails, and a reload must refuse the configuration.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Reads keepalived.conf files into a ``KeepalivedConfiguration``.
///
/// ```swift
/// let result = KeepalivedConfigParser.parse(file: "/etc/keepalived/keepalived.conf")
/// for d in result.diagnostics { print(d.formatted()) }
/// guard !result.hasErrors else { exit(1) }
/// let entries = result.configuration.virtualServers.flatMap { IPVSMapping.entries(for: $0, in: result.configuration) }
/// ```
public enum KeepalivedConfigParser {
    /// Parses the file at `path`, following its includes.
    public static func parse(file path: String, options: ParseOptions = ParseOptions()) -> ParseResult {
        var reader = SourceReader(log: DiagnosticLog(strict: options.strict), configID: options.configID)
        let lines = reader.read(path: path)
        return parse(lines: lines, log: reader.log, fileOrder: reader.fileOrder)
    }

    /// Parses `text` as the contents of a file named `file` (includes resolve against its directory).
    public static func parse(text: String, file: String = "keepalived.conf",
                             options: ParseOptions = ParseOptions()) -> ParseResult {
        parse(bytes: Array(text.utf8), file: file, options: options)
    }

    /// Parses raw bytes (any bytes: invalid UTF-8 is replaced) as the contents of a file named `file`.
    public static func parse(bytes: [UInt8], file: String = "keepalived.conf",
                             options: ParseOptions = ParseOptions()) -> ParseResult {
        var reader = SourceReader(log: DiagnosticLog(strict: options.strict), configID: options.configID)
        let lines = reader.read(bytes: bytes, path: file)
        return parse(lines: lines, log: reader.log, fileOrder: reader.fileOrder)
    }

    static func parse(lines: [LogicalLine], log: DiagnosticLog, fileOrder: [String: Int]) -> ParseResult {
        var parser = Parser(log: log)
        let tree = BlockTree.build(lines, log: &parser.log)
        parser.parseTopLevel(tree)
        parser.finish()
        // Report in reading order: by file (in the order files were read), then line; stable otherwise.
        let ordered = parser.log.entries.enumerated().sorted { a, b in
            let fa = fileOrder[a.element.location.file] ?? -1
            let fb = fileOrder[b.element.location.file] ?? -1
            if fa != fb { return fa < fb }
            if a.element.location.line != b.element.location.line { return a.element.location.line < b.element.location.line }
            return a.offset < b.offset
        }.map(\.element)
        return ParseResult(configuration: parser.configuration, diagnostics: ordered)
    }
}

/// The parser's state while it walks the block tree.
struct Parser {
    var log: DiagnosticLog
    var configuration = KeepalivedConfiguration()
    /// Virtual servers as parsed, before the post-parse rules.
    var parsedVirtualServers: [VirtualServer] = []
    var sawGlobalDefs = false
    /// VRRP sections as parsed, before ``finishVRRP()`` resolves and cross-checks them.
    var pendingVRRPInstances: [PendingVRRPInstance] = []
    var pendingVRRPScripts: [VRRPScript] = []
    var pendingSyncGroups: [PendingSyncGroup] = []
    /// The VRRP configuration being built (static addresses and routes go straight in).
    var vrrp = VRRPConfiguration()

    init(log: DiagnosticLog) { self.log = log }

    // MARK: Top level

    mutating func parseTopLevel(_ nodes: [ConfigNode]) {
        for node in nodes {
            switch node.name {
            case "global_defs":
                guard let block = requireBlock(node) else { continue }
                parseGlobalDefs(block)
            case "virtual_server":
                if let vs = parseVirtualServer(node) { parsedVirtualServers.append(vs) }
            case "virtual_server_group":
                if let group = parseVirtualServerGroup(node) { configuration.virtualServerGroups.append(group) }
            case "SSL":
                guard let block = requireBlock(node) else { continue }
                parseSSL(node, block)
            case "vrrp_instance":
                if let instance = parseVRRPInstance(node) { pendingVRRPInstances.append(instance) }
            case "vrrp_script":
                if let script = parseVRRPScript(node) { pendingVRRPScripts.append(script) }
            case "vrrp_sync_group":
                if let group = parseSyncGroup(node) { pendingSyncGroups.append(group) }
            case "vrrp_track_file", "track_file":
                // Acted upon: VRRP's track_file and FILE_CHECK read them.
                if let definition = parseTrackFileDefinition(node) { vrrp.trackFiles.append(definition) }
            case "static_ipaddress":
                parseStaticAddresses(node)
            case "static_routes":
                parseStaticRoutes(node)
            case "local_address_group", "laddr_group_name", "deny_address_group", "tunnel_group":
                log.error(.unknownKeyword, node.location,
                          "'\(node.name)' is a DPVS-fork keyword; lvsd (like keepalived) does not support it")
            default:
                if IgnoredSections.topLevel.contains(node.name) {
                    ignoreSection(node)
                } else {
                    unknown(node, in: nil)
                }
            }
        }
    }

    mutating func ignoreSection(_ node: ConfigNode) {
        configuration.ignoredSections.append(IgnoredSection(keyword: node.name, arguments: node.arguments.map(\.text),
                                                            location: node.location))
        log.once("section:" + node.name, .notActedUpon, node.location,
                 "'\(node.name)' sections are parsed but not acted upon by lvsd")
        if let known = IgnoredSections.knownKeywords[node.name], let block = node.block {
            for child in block where !known.contains(child.name) {
                unknown(child, in: node.name)
            }
        }
    }

    mutating func parseSSL(_ node: ConfigNode, _ block: [ConfigNode]) {
        var ssl = SSLContextSettings(location: node.location)
        for child in block {
            switch child.name {
            case "password": ssl.password = string(child)
            case "ca": ssl.caFile = string(child)
            case "certificate": ssl.certificateFile = string(child)
            case "key": ssl.keyFile = string(child)
            default: unknown(child, in: "SSL")
            }
        }
        configuration.ssl = ssl
    }

    // MARK: Common reporting

    /// Reports an unknown keyword (its block, if any, is skipped).
    mutating func unknown(_ node: ConfigNode, in section: String?) {
        var message = "unknown keyword '\(node.keyword.raw)'"
        if let section { message += " in \(section)" }
        if node.keyword.raw.contains("\"") { message += " (a missing space before a quote?)" }
        if node.block != nil { message += "; its { } block is skipped" }
        log.unknownKeyword(node.location, message)
    }

    /// The node's block, or an error when it has none.
    mutating func requireBlock(_ node: ConfigNode) -> [ConfigNode]? {
        if let block = node.block { return block }
        log.error(.syntax, node.location, "'\(node.name)' needs a { } block")
        return nil
    }

    /// Reports a block after a keyword that takes none.
    mutating func rejectBlock(_ node: ConfigNode) {
        if node.block != nil {
            log.error(.syntax, node.location, "'\(node.name)' takes no { } block; the block is skipped")
        }
    }

    /// The single argument of `node`, or an error naming the keyword.
    mutating func argument(_ node: ConfigNode, _ what: String = "a value") -> Token? {
        rejectBlock(node)
        guard let first = node.arguments.first else {
            log.error(.syntax, node.location, "'\(node.name)' needs \(what)")
            return nil
        }
        if node.arguments.count > 1 {
            log.warning(.syntax, node.location,
                        "'\(node.name)': extra arguments ignored: \(node.arguments.dropFirst().map(\.raw).joined(separator: " "))")
        }
        return first
    }

    /// Reports extra arguments after a flag keyword.
    mutating func noArguments(_ node: ConfigNode) {
        rejectBlock(node)
        if !node.arguments.isEmpty {
            log.warning(.syntax, node.location,
                        "'\(node.name)' takes no value; ignored: \(node.arguments.map(\.raw).joined(separator: " "))")
        }
    }

    /// A string argument.
    mutating func string(_ node: ConfigNode) -> String? { argument(node)?.text }

    mutating func invalid(_ node: ConfigNode, _ value: Token, _ why: String) {
        log.error(.invalidValue, value.location, "invalid value '\(value.raw)' for '\(node.name)': \(why)")
    }
}

/// Top-level sections and keywords lvsd reads without acting on them.
enum IgnoredSections {
    static let topLevel: Set<String> = [
        "static_rules", "vrrp_track_process", "track_process", "bfd_instance", "linkbeat_interfaces",
        "garp_group", "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets", "instance", "use_pid_dir",
        "linkbeat_use_polling", "track_group", "child_wait_time", "interface_up_down_delays",
    ]

    /// The keywords of ignored sections that are checked (sub-blocks are free-form).
    static let knownKeywords: [String: Set<String>] = [
        "vrrp_track_process": [
            "process", "param_match", "weight", "quorum", "quorum_max", "delay", "terminate_delay", "fork_delay",
            "full_command",
        ],
    ]
}
