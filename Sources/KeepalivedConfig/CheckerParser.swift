import IPVSKit

extension Parser {
    mutating func parseChecker(_ node: ConfigNode, realServer rs: RealServer, virtualServer vs: VirtualServer) -> Checker? {
        guard let kind = Checker.Kind(rawValue: node.name) else { return nil }
        if !node.arguments.isEmpty {
            log.warning(.syntax, node.location,
                        "'\(node.name)': extra words ignored: \(node.arguments.map(\.raw).joined(separator: " "))")
        }
        guard let block = requireBlock(node) else { return nil }
        var checker = Checker(kind: kind, location: node.location)
        if !kind.isActedUpon {
            log.once("checker:" + kind.rawValue, .notActedUpon, node.location,
                     "\(kind.rawValue) checkers are parsed but not acted upon by lvsd (the real server is treated as up)")
        }
        var http = (kind == .http || kind == .ssl) ? HTTPCheckSettings() : nil
        var miscScript: ScriptCommand?
        var miscTimeout: ConfigDuration?
        var miscDynamic = false
        var udp = kind == .udp ? UDPCheckSettings() : nil
        var dns = kind == .dns ? DNSCheckSettings() : nil
        var smtp = kind == .smtp ? SMTPCheckSettings() : nil
        var fileDefinition: VRRPTrackFileDefinition?
        var fileWeight: (weight: Int, reverse: Bool)?
        for child in block {
            // keepalived's FILE_CHECK takes only track_file and weight.
            if kind != .file, parseCommonCheckerKeyword(child, into: &checker) { continue }
            switch (kind, child.name) {
            case (.http, _), (.ssl, _):
                if var settings = http {
                    parseHTTPKeyword(child, kind: kind, into: &settings, checker: &checker)
                    http = settings
                }
            case (.misc, "misc_path"):
                miscScript = script(child, takesUser: false)
            case (.misc, "misc_timeout"):
                if let t = timer(child) { miscTimeout = t }
            case (.misc, "misc_dynamic"):
                noArguments(child)
                miscDynamic = true
            case (.misc, "user"):
                rejectBlock(child)
                if child.arguments.isEmpty { log.error(.syntax, child.location, "'user' needs a user name") }
                checker.otherSettings.append(other(child))
            case (.smtp, "helo_name"):
                rejectBlock(child)
                if child.arguments.isEmpty {
                    log.error(.syntax, child.location, "SMTP_CHECK helo name missing")
                } else {
                    smtp?.heloName = child.arguments.map(\.text).joined(separator: " ")
                }
            case (.smtp, "host"):
                guard let hostBlock = requireBlock(child) else { continue }
                if let host = parseSMTPHost(child, hostBlock, into: &checker) { smtp?.hosts.append(host) }
            case (.dns, "type"):
                if let t = argument(child) {
                    let types = ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"]
                    if types.contains(t.text.uppercased()) {
                        dns?.type = t.text.uppercased()
                    } else {
                        invalid(child, t, "expected one of \(types.joined(separator: " "))")
                    }
                }
            case (.dns, "name"):
                if let t = argument(child) {
                    if let problem = ConfigValue.dnsNameProblem(t.text) { invalid(child, t, problem) } else { dns?.name = t.text }
                }
            case (.bfd, "name"):
                _ = argument(child)
                checker.otherSettings.append(other(child))
            case (.file, "track_file"):
                if let t = argument(child) {
                    if let definition = vrrp.trackFiles.first(where: { $0.name == t.text }) {
                        fileDefinition = definition
                    } else {
                        log.error(.invalidValue, child.location, "track_file \(t.text) not found")
                    }
                }
            case (.udp, "payload"):
                rejectBlock(child)
                let text = child.arguments.map(\.text).joined(separator: " ")
                if child.arguments.isEmpty {
                    log.error(.syntax, child.location, "'payload' needs a hex string")
                } else if let (bytes, _) = ConfigValue.hexBytes(text, wildcards: false) {
                    udp?.payload = bytes
                } else {
                    log.error(.invalidValue, child.location,
                              "invalid value '\(text)' for 'payload': expected hex digits (pairs, blanks between bytes)")
                }
            case (.udp, "require_reply"):
                rejectBlock(child)
                udp?.requireReply = true
                let text = child.arguments.map(\.text).joined(separator: " ")
                if !child.arguments.isEmpty {
                    if let (bytes, mask) = ConfigValue.hexBytes(text, wildcards: true) {
                        udp?.replyPattern = bytes
                        udp?.replyWildcards = mask
                    } else {
                        log.error(.invalidValue, child.location,
                                  "invalid value '\(text)' for 'require_reply': expected hex digits or X wildcards")
                    }
                }
            case (.udp, "min_reply_length"):
                if let v = unsigned(child, in: 0...65535) { udp?.minReplyLength = UInt16(v) }
            case (.udp, "max_reply_length"):
                if let v = unsigned(child, in: 0...65535) { udp?.maxReplyLength = UInt16(v) }
            case (.file, "weight"):
                rejectBlock(child)
                guard let w = child.arguments.first else {
                    log.error(.syntax, child.location, "track file weight missing")
                    continue
                }
                // keepalived: -IPVS_WEIGHT_LIMIT...IPVS_WEIGHT_LIMIT, then optional reverse / noreverse.
                guard let value = ConfigValue.signed(w.text, in: -Int(Int32.max)...Int(Int32.max)) else {
                    invalid(child, w, "weight for track file must be in [\(-Int(Int32.max))..\(Int32.max)] inclusive")
                    continue
                }
                var reverse = false
                if child.arguments.count > 1 {
                    switch child.arguments[1].text {
                    case "reverse": reverse = true
                    case "noreverse": reverse = false
                    default:
                        invalid(child, child.arguments[1], "unknown track file weight option (expected reverse or noreverse)")
                        continue
                    }
                }
                fileWeight = (value, reverse)
            default:
                unknown(child, in: kind.rawValue)
            }
        }
        // Inheritance: checker → real server → virtual server → default for the type.
        checker.delayLoop = checker.givenDelayLoop ?? rs.delayLoop ?? vs.delayLoop
        checker.connectTimeout = checker.givenConnectTimeout ?? rs.connectTimeout ?? vs.connectTimeout
        checker.retry = checker.givenRetry ?? rs.retry ?? vs.retry ?? Defaults.retry(for: kind)
        checker.delayBeforeRetry = checker.givenDelayBeforeRetry ?? rs.delayBeforeRetry ?? vs.delayBeforeRetry
            ?? Defaults.delayBeforeRetry(for: kind, delayLoop: checker.delayLoop)
        checker.warmup = checker.givenWarmup ?? rs.warmup ?? vs.warmup ?? checker.delayLoop
        checker.alpha = checker.givenAlpha ?? rs.alpha
        checker.rise = checker.givenRise ?? rs.rise ?? 1
        checker.riseWasGiven = checker.givenRise != nil || rs.rise != nil
        let fallDefault = checker.retry == UInt32.max ? UInt32.max : checker.retry + 1
        checker.fall = checker.givenFall ?? rs.fall ?? fallDefault
        checker.fallWasGiven = checker.givenFall != nil || rs.fall != nil

        if var settings = http {
            settings.realServerVirtualhost = rs.virtualhost
            settings.virtualServerVirtualhost = vs.virtualhost
            if settings.urls.isEmpty {
                log.warning(.adjusted, node.location, "\(kind.rawValue) has no url - ignoring this checker")
                return nil
            }
            checker.http = settings
        }
        if let udp {
            if udp.minReplyLength > udp.maxReplyLength {
                log.warning(.adjusted, node.location,
                            "UDP_CHECK min_reply_length \(udp.minReplyLength) > max_reply_length \(udp.maxReplyLength) - will always fail")
            }
            checker.udp = udp
        }
        checker.dns = dns
        if var smtp {
            let c = checker.connection
            smtp.blockHasConnection = c.ip != nil || c.port != nil || c.bindAddress != nil || c.bindPort != nil
                || c.bindInterface != nil || c.firewallMark != nil || checker.givenConnectTimeout != nil
            if !smtp.hosts.isEmpty {
                log.warning(.deprecated, node.location,
                            "The SMTP_CHECK host block is deprecated. Please define additional checkers.")
            }
            for i in smtp.hosts.indices where smtp.hosts[i].connectTimeout == nil {
                smtp.hosts[i].connectTimeout = rs.connectTimeout ?? vs.connectTimeout
            }
            checker.smtp = smtp
        }
        if kind == .file {
            guard let fileDefinition, let path = fileDefinition.path else {
                if fileDefinition == nil {
                    log.error(.syntax, node.location, "FILE_CHECK has no track_file specified - ignoring")
                }
                return nil
            }
            let initial = fileDefinition.initFile.map { parseInitFile($0, definition: fileDefinition) }
            checker.file = FileCheckSettings(
                name: fileDefinition.name, path: path, weight: fileWeight?.weight ?? fileDefinition.weight,
                reverse: fileWeight?.reverse ?? fileDefinition.reverse, initValue: initial?.value,
                initOverwrite: initial?.overwrite ?? false)
            // keepalived: a file checker has no concept of running; it is never in alpha mode.
            checker.alpha = false
        }
        if kind == .misc {
            guard let miscScript else {
                log.warning(.adjusted, node.location, "MISC_CHECK has no misc_path - ignoring this checker")
                return nil
            }
            var misc = MiscCheckSettings(script: miscScript, timeout: miscTimeout ?? vs.delayLoop)
            misc.dynamic = miscDynamic
            checker.misc = misc
            for setting in checker.otherSettings where setting.keyword == "user" {
                checker.misc?.script.user = setting.arguments.first
                checker.misc?.script.group = setting.arguments.count > 1 ? setting.arguments[1] : nil
            }
        }
        return checker
    }

    /// A `host { }` block of SMTP_CHECK: connection keywords are the host's; the other common keywords (`retry`,
    /// `delay_loop`, ...) are the checker's, as in keepalived.
    private mutating func parseSMTPHost(_ node: ConfigNode, _ block: [ConfigNode], into checker: inout Checker) -> SMTPCheckHost? {
        if !node.arguments.isEmpty {
            log.warning(.syntax, node.location, "'host': extra words ignored: \(node.arguments.map(\.raw).joined(separator: " "))")
        }
        var scratch = checker
        scratch.connection = CheckerConnection()
        scratch.givenConnectTimeout = nil
        for child in block where !parseCommonCheckerKeyword(child, into: &scratch) {
            unknown(child, in: "SMTP_CHECK host")
        }
        let host = SMTPCheckHost(connection: scratch.connection, connectTimeout: scratch.givenConnectTimeout,
                                 location: node.location)
        scratch.connection = checker.connection
        scratch.givenConnectTimeout = checker.givenConnectTimeout
        checker = scratch
        return host
    }

    /// `init_file [VALUE] [overwrite]` as keepalived's `track_file_init_handler` reads it: an integer (default 0;
    /// an invalid one is an error and 0), `overwrite`; anything else is an error.
    private mutating func parseInitFile(_ words: [String], definition: VRRPTrackFileDefinition) -> (value: Int, overwrite: Bool) {
        var value = 0
        var overwrite = false
        for word in words {
            if let first = word.first, first.isASCII && first.isNumber || first == "-" {
                if let v = ConfigValue.signed(word, in: Int(Int32.min)...Int(Int32.max)) {
                    if !(-254...254).contains(v) {
                        log.warning(.adjusted, definition.location,
                                    "Track file \(definition.name) init value \(v) is outside sensible range [-254, 254]")
                    }
                    value = v
                } else {
                    log.error(.invalidValue, definition.location, "Track file \(definition.name) init value \(word) is invalid")
                    value = 0
                }
            } else if word == "overwrite" {
                overwrite = true
            } else {
                log.error(.invalidValue, definition.location, "Unknown track file init option \(word)")
            }
        }
        return (value, overwrite)
    }

    private func other(_ node: ConfigNode) -> OtherSetting {
        OtherSetting(keyword: node.name, arguments: node.arguments.map(\.text), location: node.location)
    }

    /// Keywords common to checkers. Returns `false` if `node` is not one of them.
    private mutating func parseCommonCheckerKeyword(_ node: ConfigNode, into checker: inout Checker) -> Bool {
        let connection = checker.kind.hasConnection
        switch node.name {
        case "connect_ip" where connection:
            if let t = argument(node), let ip = address(node, t) { checker.connection.ip = ip }
        case "connect_port" where connection:
            if let t = argument(node), let p = port(node, t) { checker.connection.port = p }
        case "bindto" where connection:
            if let t = argument(node), let ip = address(node, t) { checker.connection.bindAddress = ip }
        case "bind_port" where connection:
            if let t = argument(node), let p = port(node, t) { checker.connection.bindPort = p }
        case "bind_if" where connection:
            if let t = argument(node) {
                if t.text.utf8.count > 15 || t.text.contains("/") {
                    invalid(node, t, "expected an interface name of at most 15 characters")
                } else {
                    checker.connection.bindInterface = t.text
                }
            }
        case "fwmark" where connection:
            if let v = unsigned(node, in: 0...UInt64(UInt32.max)) { checker.connection.firewallMark = UInt32(v) }
        case "connect_timeout" where connection:
            if let t = positiveTimer(node) { checker.givenConnectTimeout = t }
        case "retry":
            if let v = unsigned(node, in: 0...UInt64(UInt32.max)) { checker.givenRetry = UInt32(v) }
        case "nb_get_retry":
            // keepalived 2.x treats this as a config error; old configs use it in every checker type, and lvsd
            // accepts it everywhere with a warning.
            log.warning(.deprecated, node.location,
                        "'nb_get_retry' is a deprecated alias of 'retry'; use 'retry' (keepalived rejects it)")
            if let v = unsigned(node, in: 0...UInt64(UInt32.max)) { checker.givenRetry = UInt32(v) }
        case "delay_before_retry":
            if let t = timer(node) { checker.givenDelayBeforeRetry = t }
        case "warmup":
            if let t = timer(node) { checker.givenWarmup = t }
        case "delay_loop":
            if let t = positiveTimer(node) { checker.givenDelayLoop = t }
        case "alpha":
            if let v = optionalBool(node) { checker.givenAlpha = v }
        case "log_all_failures":
            if let v = optionalBool(node) { checker.logAllFailures = v }
        case "rise":
            if let v = unsigned(node, in: 1...1_000_000) { checker.givenRise = UInt32(v) }
        case "fall":
            if let v = unsigned(node, in: 1...1_000_000) { checker.givenFall = UInt32(v) }
        default:
            return false
        }
        return true
    }

    private mutating func parseHTTPKeyword(_ node: ConfigNode, kind: Checker.Kind, into settings: inout HTTPCheckSettings,
                                           checker: inout Checker) {
        switch node.name {
        case "url":
            guard let block = requireBlock(node) else { return }
            if let url = parseURL(node, block, kind: kind) { settings.urls.append(url) }
        case "virtualhost":
            settings.virtualhost = string(node)
        case "http_protocol":
            guard let t = argument(node) else { return }
            switch t.text {
            case "1.0": settings.httpProtocol = .http10
            case "1.0C", "1.0c": settings.httpProtocol = .http10Close
            case "1.1": settings.httpProtocol = .http11
            default: invalid(node, t, "expected 1.0, 1.0C or 1.1")
            }
        case "enable_sni":
            if let v = optionalBool(node) { settings.enableSNI = v }
        case "sni_name":
            rejectBlock(node)
            settings.sniName = node.arguments.first?.text
            if settings.sniName == nil { settings.enableSNI = true }
        case "fast_recovery":
            if let v = optionalBool(node) { settings.fastRecovery = v }
        case "tls_compliant" where kind == .ssl:
            if let v = optionalBool(node) { settings.tlsCompliant = v }
        default:
            unknown(node, in: kind.rawValue)
        }
    }

    private mutating func parseURL(_ node: ConfigNode, _ block: [ConfigNode], kind: Checker.Kind) -> HTTPCheckURL? {
        var url = HTTPCheckURL(path: "", location: node.location)
        var hasPath = false
        var statusCodes: [ClosedRange<Int>] = []
        for child in block {
            switch child.name {
            case "path":
                if let t = argument(child) {
                    url.path = t.text
                    hasPath = true
                }
            case "digest":
                guard let t = argument(child) else { continue }
                if let d = ConfigValue.digest(t.text) {
                    url.digest = d
                } else {
                    invalid(child, t, "expected an MD5 digest of exactly 32 hex digits")
                }
            case "status_code":
                rejectBlock(child)
                if child.arguments.isEmpty {
                    log.error(.syntax, child.location, "'status_code' needs a code or range")
                }
                for t in child.arguments {
                    if let range = ConfigValue.statusCodes(t.text) {
                        statusCodes.append(range)
                    } else {
                        invalid(child, t, "expected a status code or range (N or N-M) within 100-599")
                    }
                }
            case "virtualhost":
                url.virtualhost = string(child)
            case "regex":
                rejectBlock(child)
                do {
                    let words = try Lexer.shellWords(child.rest)
                    if words.count > 1 {
                        log.error(.syntax, child.location, "'regex' takes one pattern (quote a pattern with spaces)")
                    } else if let first = words.first {
                        url.regex = first
                        url.regexLocation = child.location
                    } else {
                        log.error(.syntax, child.location, "'regex' needs a pattern")
                    }
                } catch {
                    log.error(.invalidValue, child.location, "invalid value for 'regex': unterminated quote")
                }
            case "regex_no_match":
                noArguments(child)
                url.regexNoMatch = true
            case "regex_options":
                rejectBlock(child)
                url.regexOptions = child.arguments.map(\.text)
            case "regex_min_offset":
                if let v = unsigned(child, in: 0...UInt64(UInt32.max)) { url.regexMinOffset = UInt32(v) }
            case "regex_max_offset":
                if let v = unsigned(child, in: 0...UInt64(UInt32.max)) { url.regexMaxOffset = UInt32(v) }
            case "regex_stack":
                rejectBlock(child)
                let sizes = child.arguments.compactMap { unsigned(child, $0, in: 0...UInt64(UInt32.max)) }
                if child.arguments.count != 2 {
                    log.error(.syntax, child.location, "'regex_stack' needs a start and a max size")
                } else if sizes.count == 2 {
                    if sizes[0] > sizes[1] {
                        log.warning(.adjusted, child.location, "regex stack start cannot exceed max value - ignoring")
                    } else {
                        url.regexStack = UInt32(sizes[0])...UInt32(sizes[1])
                    }
                }
            case "tls_compliant" where kind == .ssl:
                _ = optionalBool(child)
            default:
                unknown(child, in: "url")
            }
        }
        if !statusCodes.isEmpty { url.statusCodes = statusCodes }
        checkRegexSettings(&url, at: node.location)
        guard hasPath, !url.path.isEmpty else {
            log.error(.syntax, node.location, "url block without 'path' - ignoring it")
            return nil
        }
        return url
    }
}
