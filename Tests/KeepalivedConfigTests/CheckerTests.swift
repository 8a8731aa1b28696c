import IPVSKit
import Testing
@testable import KeepalivedConfig

/// The checkers of the only real server of the only virtual server: `checkers(CHECKER)` or
/// `checkers(VS_LINES, rs: RS_LINES, CHECKER)`.
private func checkers(_ first: String, rs rsLines: String = "", _ second: String? = nil,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Checker] {
    let vsLines = second == nil ? "" : first
    let checkerText = second ?? first
    let vs = singleVS(vsConfig(vsLines, "real_server 10.0.0.2 80 {\n\(rsLines)\n\(checkerText)\n}"), sourceLocation: sourceLocation)
    return vs?.realServers.first?.checkers ?? []
}

@Suite struct CheckerTests {
    @Test func tcpCheckDefaults() throws {
        let c = try #require(checkers("TCP_CHECK {\n}").first)
        #expect(c.kind == .tcp)
        #expect(c.retry == 1)
        #expect(c.delayBeforeRetry == .seconds(1))
        #expect(c.delayLoop == .seconds(60))
        #expect(c.warmup == .seconds(60))
        #expect(c.connectTimeout == .seconds(5))
        #expect(c.rise == 1 && c.fall == 2)
        #expect(!c.riseWasGiven && !c.fallWasGiven)
        #expect(c.alpha == false)
    }

    @Test func typeDefaults() throws {
        let http = try #require(checkers("HTTP_GET {\n url {\n path /\n }\n}").first)
        #expect(http.retry == 1 && http.delayBeforeRetry == .seconds(3))
        let ssl = try #require(checkers("SSL_GET {\n url {\n path /\n }\n}").first)
        #expect(ssl.delayBeforeRetry == .seconds(3))
        let misc = try #require(checkers("delay_loop 7", "MISC_CHECK {\n misc_path /bin/true\n}").first)
        #expect(misc.retry == 0 && misc.fall == 1)
        #expect(misc.misc?.timeout == .seconds(7))  // the virtual server's delay_loop
        let dns = try #require(checkers("DNS_CHECK {\n delay_loop 12\n}").first)
        #expect(dns.retry == 3)
        #expect(dns.delayBeforeRetry == .seconds(12))
    }

    @Test func inheritanceCheckerOverRealServerOverVirtualServer() throws {
        let vsLines = "delay_loop 30\n connect_timeout 4\n retry 5\n delay_before_retry 6\n warmup 7\n alpha"
        let fromVS = try #require(checkers(vsLines, "TCP_CHECK {\n}").first)
        #expect(fromVS.delayLoop == .seconds(30) && fromVS.connectTimeout == .seconds(4))
        #expect(fromVS.retry == 5 && fromVS.delayBeforeRetry == .seconds(6) && fromVS.warmup == .seconds(7))
        #expect(fromVS.alpha)
        let rsLines = "delay_loop 20\n connect_timeout 3\n retry 2\n delay_before_retry 2.5\n warmup 1\n alpha no\n rise 2\n fall 4"
        let fromRS = try #require(checkers(vsLines, rs: rsLines, "TCP_CHECK {\n}").first)
        #expect(fromRS.delayLoop == .seconds(20) && fromRS.connectTimeout == .seconds(3))
        #expect(fromRS.retry == 2 && fromRS.delayBeforeRetry == .milliseconds(2500) && fromRS.warmup == .seconds(1))
        #expect(!fromRS.alpha)
        #expect(fromRS.rise == 2 && fromRS.fall == 4 && fromRS.riseWasGiven && fromRS.fallWasGiven)
        let own = try #require(checkers(vsLines, rs: rsLines, """
            TCP_CHECK {
                delay_loop 10
                connect_timeout 2
                retry 0
                delay_before_retry 0.5
                warmup 0
                alpha yes
                rise 5
                fall 6
                log_all_failures
            }
            """).first)
        #expect(own.delayLoop == .seconds(10) && own.connectTimeout == .seconds(2))
        #expect(own.retry == 0 && own.delayBeforeRetry == .milliseconds(500) && own.warmup == .zero)
        #expect(own.alpha && own.rise == 5 && own.fall == 6)
        #expect(own.logAllFailures == true)
    }

    @Test func warmupDefaultsToTheCheckersOwnDelayLoop() throws {
        let c = try #require(checkers("delay_loop 30", "TCP_CHECK {\n delay_loop 3\n}").first)
        #expect(c.warmup == .seconds(3))
    }

    @Test func connectionKeywords() throws {
        let c = try #require(checkers("""
            TCP_CHECK {
                connect_ip 10.0.0.20
                connect_port 8080
                bindto 10.0.0.1
                bind_port 40000
                bind_if eth0
                fwmark 99
            }
            """).first)
        #expect(c.connection.ip == ip("10.0.0.20"))
        #expect(c.connection.port == 8080)
        #expect(c.connection.bindAddress == ip("10.0.0.1"))
        #expect(c.connection.bindPort == 40000)
        #expect(c.connection.bindInterface == "eth0")
        #expect(c.connection.firewallMark == 99)
        for bad in ["connect_ip 10.0.0", "connect_port 70000", "bindto host.example", "bind_port -1", "fwmark x",
                    "connect_timeout -1", "bind_if averyveryverylongifname"] {
            let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\nTCP_CHECK {\n\(bad)\n}\n}"))
            #expect(result.errors.first?.location.line == 7, "\(bad)")
            #expect(result.errors.first?.message.contains(String(bad.split(separator: " ")[0])) == true, "\(bad)")
        }
    }

    @Test func httpGetEverything() throws {
        let c = try #require(checkers("virtualhost vs.example", rs: "virtualhost rs.example", """
            HTTP_GET {
                url {
                    path /health
                    digest 0123456789ABCDEF0123456789abcdef
                    status_code 200 301-302 404
                    virtualhost url.example
                }
                url {
                    path /second
                }
                virtualhost checker.example
                http_protocol 1.1
                enable_sni
                sni_name sni.example
                fast_recovery on
                connect_timeout 2
            }
            """).first)
        let http = try #require(c.http)
        #expect(http.urls.count == 2)
        #expect(http.urls[0].path == "/health")
        #expect(http.urls[0].digest == "0123456789abcdef0123456789abcdef")
        #expect(http.urls[0].statusCodes == [200...200, 301...302, 404...404])
        #expect(http.urls[0].accepts(statusCode: 302) && !http.urls[0].accepts(statusCode: 303))
        #expect(http.urls[1].statusCodes == [200...299])
        #expect(http.urls[1].accepts(statusCode: 204))
        #expect(http.httpProtocol == .http11 && http.httpProtocol.sendsConnectionClose)
        #expect(http.enableSNI && http.sniName == "sni.example" && http.fastRecovery)
        #expect(http.hostHeader(for: http.urls[0]) == "url.example")
        #expect(http.hostHeader(for: http.urls[1]) == "checker.example")
        #expect(http.serverName(for: http.urls[1]) == "sni.example")
        #expect(c.connectTimeout == .seconds(2))
    }

    @Test func hostAndSNIPrecedence() throws {
        let c = try #require(checkers("virtualhost vs.example", rs: "virtualhost rs.example",
                                      "SSL_GET {\n url {\n path /\n }\n enable_sni\n tls_compliant\n}").first)
        let http = try #require(c.http)
        #expect(http.hostHeader(for: http.urls[0]) == "rs.example")
        #expect(http.serverName(for: http.urls[0]) == "vs.example")  // keepalived skips the RS virtualhost for SNI
        #expect(http.tlsCompliant)
        let noSNI = try #require(checkers("SSL_GET {\n url {\n path /\n }\n}").first?.http)
        #expect(noSNI.serverName(for: noSNI.urls[0]) == nil)
        #expect(noSNI.hostHeader(for: noSNI.urls[0]) == nil)
        #expect(noSNI.httpProtocol == .http10)
    }

    @Test func httpProtocolVersions() {
        for (word, expected) in [("1.0", HTTPProtocolVersion.http10), ("1.0C", .http10Close), ("1.0c", .http10Close), ("1.1", .http11)] {
            #expect(checkers("HTTP_GET {\n url {\n path /\n }\n http_protocol \(word)\n}").first?.http?.httpProtocol == expected)
        }
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nHTTP_GET {\n url {\n path /\n }\n http_protocol 2\n}\n}")).hasErrors)
    }

    @Test func badURLValues() {
        let cases = ["digest 123", "digest 0123456789abcdef0123456789abcdeg", "status_code 99", "status_code 600",
                     "status_code 300-200", "status_code abc", "status_code"]
        for bad in cases {
            let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\nHTTP_GET {\nurl {\npath /\n\(bad)\n}\n}\n}"))
            let error = result.errors.first
            #expect(error?.location.line == 9, "\(bad)")
            #expect(error?.message.contains(String(bad.split(separator: " ")[0])) == true, "\(bad)")
        }
    }

    @Test func urlRegexOptionsAreParsed() throws {
        let url = try #require(checkers(#"""
            HTTP_GET {
                url {
                    path /
                    regex "ok [0-9]+"
                    regex_no_match
                    regex_options caseless multiline
                    regex_min_offset 2
                    regex_max_offset 400
                    regex_stack 1 2
                }
            }
            """#).first?.http?.urls.first)
        #expect(url.regex == "ok [0-9]+")
        #expect(url.regexNoMatch)
        #expect(url.regexOptions == ["caseless", "multiline"])
        #expect(url.regexMinOffset == 2 && url.regexMaxOffset == 400)
        #expect(url.regexStack == 1...2)
        #expect(url.regexLocation?.line == 10)
    }

    @Test func regexSettingsFollowKeepalivedsEndOfURLRules() throws {
        func url(_ lines: String) -> (HTTPCheckURL?, ParseResult) {
            let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\nHTTP_GET {\nurl {\npath /\n\(lines)\n}\n}\n}"))
            return (result.configuration.virtualServers.first?.realServers.first?.checkers.first?.http?.urls.first, result)
        }
        let (orphan, orphanResult) = url("regex_no_match\nregex_min_offset 3\nregex_options caseless")
        #expect(orphan?.regexNoMatch == false && orphan?.regexMinOffset == nil && orphan?.regexOptions == [])
        #expect(orphanResult.warnings.contains { $0.message.contains("regex parameters specified without regex") })
        let (crossed, crossedResult) = url("regex x\nregex_min_offset 10\nregex_max_offset 9")
        #expect(crossed?.regexMinOffset == nil && crossed?.regexMaxOffset == nil)
        #expect(crossedResult.warnings.contains { $0.message == "regex min offset 10 > regex_max_offset 9 - ignoring" })
        let (stack, stackResult) = url("regex x\nregex_stack 9 8")
        #expect(stack?.regexStack == nil)
        #expect(stackResult.warnings.contains { $0.message.contains("regex stack start cannot exceed max") })
        let (_, twoPatterns) = url("regex a b")
        #expect(twoPatterns.errors.first?.location.line == 9)
    }

    @Test func httpCheckerWithoutURLIsDroppedAndURLWithoutPathIsAnError() {
        let none = parse(vsConfig("", "real_server 10.0.0.2 80 {\nHTTP_GET {\n connect_timeout 1\n}\n}"))
        #expect(none.configuration.virtualServers.first?.realServers.first?.checkers.isEmpty == true)
        #expect(none.warnings.contains { $0.message.contains("has no url") && $0.location.line == 6 })
        let noPath = parse(vsConfig("", "real_server 10.0.0.2 80 {\nHTTP_GET {\n url {\n digest 0123456789abcdef0123456789abcdef\n }\n}\n}"))
        #expect(noPath.errors.first?.location.line == 7)
    }

    @Test func nbGetRetryIsAcceptedWithADeprecationWarning() throws {
        let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\nHTTP_GET {\nurl {\npath /\n}\nnb_get_retry 4\n}\n}"), strict: true)
        #expect(!result.hasErrors)
        let warning = try #require(result.diagnostics.first { $0.kind == .deprecated })
        #expect(warning.location.line == 10)
        #expect(warning.message.contains("nb_get_retry") && warning.message.contains("retry"))
        #expect(result.configuration.virtualServers.first?.realServers.first?.checkers.first?.retry == 4)
        // Old configurations put it in TCP_CHECK too; it is accepted there as well.
        let tcp = parse(vsConfig("", "real_server 10.0.0.2 80 {\nTCP_CHECK {\nnb_get_retry 4\n}\n}"), strict: true)
        #expect(!tcp.hasErrors)
        #expect(tcp.configuration.virtualServers.first?.realServers.first?.checkers.first?.retry == 4)
        #expect(tcp.diagnostics.filter { $0.kind == .deprecated }.count == 1)
    }

    @Test func miscCheck() throws {
        let c = try #require(checkers(#"""
            MISC_CHECK {
                misc_path "/usr/local/bin/check.sh --host '10.0.0.2 x' -v"
                misc_timeout 5.5
                misc_dynamic
                user nobody nogroup
                retry 2
            }
            """#).first)
        let misc = try #require(c.misc)
        #expect(misc.script.arguments == ["/usr/local/bin/check.sh", "--host", "10.0.0.2 x", "-v"])
        #expect(misc.timeout == .milliseconds(5500))
        #expect(misc.dynamic)
        #expect(misc.script.user == "nobody" && misc.script.group == "nogroup")
        #expect(c.retry == 2)
        let single = try #require(checkers("MISC_CHECK {\n misc_path '/bin/a b'\n}").first?.misc)
        #expect(single.script.arguments == ["/bin/a", "b"])
        let unquoted = try #require(checkers("MISC_CHECK {\n misc_path /bin/check -p 80 'x y'\n}").first?.misc)
        #expect(unquoted.script.arguments == ["/bin/check", "-p", "80", "x y"])
        #expect(unquoted.script.user == nil)
        // Connection keywords do not apply to MISC_CHECK.
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nMISC_CHECK {\nmisc_path /bin/true\nconnect_port 80\n}\n}"), strict: true).hasErrors)
        let missing = parse(vsConfig("", "real_server 10.0.0.2 80 {\nMISC_CHECK {\nmisc_timeout 3\n}\n}"))
        #expect(missing.configuration.virtualServers.first?.realServers.first?.checkers.isEmpty == true)
        #expect(missing.warnings.contains { $0.message.contains("misc_path") })
        let unterminated = parse(vsConfig("", "real_server 10.0.0.2 80 {\nMISC_CHECK {\nmisc_path '/bin/x\n}\n}"))
        #expect(unterminated.errors.first?.location.line == 7)
    }

    @Test func checkersNotRunAreParsedAndReportedOnceAsNotActedUpon() throws {
        let vs = try #require(singleVS("track_file f1 {\n file /tmp/f1\n}\n" + vsConfig("", """
            real_server 10.0.0.2 80 {
                SMTP_CHECK {
                    helo_name me.example
                    connect_timeout 3
                    host {
                        connect_ip 10.0.0.3
                        connect_port 25
                    }
                }
                DNS_CHECK {
                    type AAAA
                    name example.com
                }
                UDP_CHECK {
                    payload 0a0b
                    require_reply 0X0b
                    min_reply_length 1
                    max_reply_length 100
                }
                PING_CHECK {
                }
                FILE_CHECK {
                    track_file f1
                    weight -10 reverse
                }
                BFD_CHECK {
                    name bfd1
                }
                SMTP_CHECK {
                    helo_name two
                }
            }
            """)))
        let kinds = vs.realServers.first?.checkers.map(\.kind) ?? []
        #expect(kinds == [.smtp, .dns, .udp, .ping, .file, .bfd, .smtp])
        #expect(kinds.map(\.isActedUpon) == [true, true, true, true, true, false, true])
        let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\nSMTP_CHECK {\n}\nSMTP_CHECK {\n}\nBFD_CHECK {\n}\nPING_CHECK {\n}\nDNS_CHECK {\n type BOGUS\n}\n}"))
        let reports = result.diagnostics.filter { $0.kind == .notActedUpon }
        #expect(reports.map(\.location.line) == [10])  // BFD only: SMTP, PING and DNS run
        #expect(result.errors.first?.message.contains("BOGUS") == true)
    }

    @Test func riseAndFallAreLvsdOnlyAndValidated() {
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nTCP_CHECK {\nrise 0\n}\n}")).hasErrors)
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nTCP_CHECK {\nfall x\n}\n}")).hasErrors)
        #expect(checkers("TCP_CHECK {\n retry 3\n}").first?.fall == 4)
    }

    @Test func unknownCheckerKeywordWarnsWithLine() {
        let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\nTCP_CHECK {\nconnect_prot 80\n}\n}"))
        let warning = result.diagnostics.first { $0.kind == .unknownKeyword }
        #expect(warning?.location.line == 7)
        #expect(warning?.message.contains("connect_prot") == true)
        #expect(warning?.severity == .warning)
    }

    @Test func udpCheckSettings() throws {
        let udp = try #require(checkers("UDP_CHECK {\n payload 0a 0B1 c\n require_reply 0X 5x\n min_reply_length 2\n max_reply_length 9\n}").first)
        #expect(udp.kind.isActedUpon)
        #expect(udp.udp?.payload == [0x0A, 0x0B, 0x01, 0x0C])
        #expect(udp.udp?.requireReply == true)
        #expect(udp.udp?.replyPattern == [0x00, 0x50])
        #expect(udp.udp?.replyWildcards == [0x0F, 0x0F])
        #expect(udp.udp?.minReplyLength == 2 && udp.udp?.maxReplyLength == 9)
        let plain = try #require(checkers("UDP_CHECK {\n require_reply\n}").first)
        #expect(plain.udp?.payload == nil && plain.udp?.requireReply == true && plain.udp?.replyPattern == nil)
        let bare = try #require(checkers("UDP_CHECK {\n}").first)
        #expect(bare.udp == UDPCheckSettings())
        #expect(bare.retry == 1 && bare.delayBeforeRetry == .seconds(1))
    }

    @Test func udpCheckBadHexIsAnErrorWithItsLine() {
        let badPayload = parse(vsConfig("", "real_server 10.0.0.2 80 {\nUDP_CHECK {\npayload 0g\n}\n}"))
        #expect(badPayload.errors.first?.location.line == 7)
        #expect(badPayload.errors.first?.message.contains("'0g' for 'payload'") == true)
        // Wildcards are for require_reply only.
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nUDP_CHECK {\npayload 0X\n}\n}")).hasErrors)
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nUDP_CHECK {\npayload\n}\n}")).hasErrors)
        let badReply = parse(vsConfig("", "real_server 10.0.0.2 80 {\nUDP_CHECK {\nrequire_reply 01 zz\n}\n}"))
        #expect(badReply.errors.first?.message.contains("require_reply") == true)
        #expect(parse(vsConfig("", "real_server 10.0.0.2 80 {\nUDP_CHECK {\nmax_reply_length 70000\n}\n}")).hasErrors)
        let inverted = parse(vsConfig("", "real_server 10.0.0.2 80 {\nUDP_CHECK {\nmin_reply_length 9\nmax_reply_length 2\n}\n}"))
        #expect(!inverted.hasErrors)
        #expect(!inverted.messages(containing: "will always fail").isEmpty)
    }

    @Test func hexStringsReadAsKeepalivedReadsThem() {
        #expect(ConfigValue.hexBytes("0102", wildcards: false)?.bytes == [1, 2])
        #expect(ConfigValue.hexBytes("1 2 ff", wildcards: false)?.bytes == [1, 2, 0xFF])
        #expect(ConfigValue.hexBytes("abc", wildcards: false)?.bytes == [0xAB, 0x0C])
        #expect(ConfigValue.hexBytes("", wildcards: false) == nil)
        #expect(ConfigValue.hexBytes("   ", wildcards: false) == nil)
        #expect(ConfigValue.hexBytes("0x10", wildcards: false) == nil)
        #expect(ConfigValue.hexBytes("X1", wildcards: true).map { [$0.bytes, $0.mask] } == [[0x01], [0xF0]])
        #expect(ConfigValue.hexBytes("11", wildcards: true)?.mask == [])
    }

    @Test func dnsCheckSettings() throws {
        let dns = try #require(checkers("DNS_CHECK {\n type aaaa\n name example.com.\n}").first)
        #expect(dns.kind.isActedUpon)
        #expect(dns.dns?.type == "AAAA" && dns.dns?.name == "example.com.")
        let defaults = try #require(checkers("DNS_CHECK {\n}").first)
        #expect(defaults.dns == DNSCheckSettings())
        #expect(defaults.dns?.type == "SOA" && defaults.dns?.name == ".")
        for bad in ["a..b", ".a", String(repeating: "x", count: 64) + ".com"] {
            let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\nDNS_CHECK {\nname \(bad)\n}\n}"))
            #expect(result.errors.first?.location.line == 7, "\(bad)")
            #expect(result.errors.first?.message.contains("'name'") == true, "\(bad)")
        }
    }
}
