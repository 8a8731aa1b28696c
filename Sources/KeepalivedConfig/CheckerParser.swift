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
        for child in block {
            if parseCommonCheckerKeyword(child, into: &checker) { continue }
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
                _ = string(child)
                checker.otherSettings.append(other(child))
            case (.smtp, "host"):
                log.warning(.deprecated, child.location, "'host' blocks in SMTP_CHECK are deprecated")
                for hostChild in child.block ?? [] where !parseCommonCheckerKeyword(hostChild, into: &checker) {
                    unknown(hostChild, in: "SMTP_CHECK host")
                }
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
            case (.bfd, "name"), (.file, "track_file"):
                _ = argument(child)
                checker.otherSettings.append(other(child))
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
                if let w = child.arguments.first {
                    if ConfigValue.unsigned(w.text, in: 0...254) == nil && Int(w.text).map({ (-254...254).contains($0) }) != true {
                        invalid(child, w, "expected a weight from -254 to 254")
                    }
                    if child.arguments.count > 1 && child.arguments[1].text != "reverse" {
                        invalid(child, child.arguments[1], "expected 'reverse'")
                    }
                } else {
                    log.error(.syntax, child.location, "'weight' needs a value")
                }
                checker.otherSettings.append(other(child))
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
