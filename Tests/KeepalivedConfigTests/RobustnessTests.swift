import Testing
@testable import KeepalivedConfig

/// A small deterministic generator (SplitMix64), so failures reproduce.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RobustnessTests {
    /// Every diagnostic names the file and a line within it.
    private func expectWellFormed(_ result: ParseResult, lineCount: Int, file: String = "fuzz.conf") {
        for d in result.diagnostics {
            #expect(d.location.file == file)
            #expect(d.location.line >= 0 && d.location.line <= lineCount + 1, "\(d)")
            #expect(d.formatted().hasPrefix("lvsd: \(file):\(d.location.line): "))
        }
    }

    @Test(arguments: 0..<40)
    func randomBytes(seed: Int) {
        var rng = SeededGenerator(state: UInt64(seed) &* 7919)
        let length = Int.random(in: 0...4000, using: &rng)
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let result = KeepalivedConfigParser.parse(bytes: bytes, file: "fuzz.conf", options: ParseOptions(strict: true))
        expectWellFormed(result, lineCount: bytes.filter { $0 == 0x0A }.count)
    }

    private static let vocabulary = [
        "virtual_server", "real_server", "virtual_server_group", "global_defs", "vrrp_instance", "TCP_CHECK",
        "HTTP_GET", "SSL_GET", "MISC_CHECK", "url", "path", "digest", "status_code", "weight", "lvs_sched", "lb_kind",
        "lvs_method", "DR", "NAT", "TUN", "type", "gue", "port", "protocol", "TCP", "fwmark", "group", "10.0.0.1",
        "2001:db8::1", "80", "65536", "-1", "{", "}", "{", "}", "\"", "'", "#", "!", "\n", "\n", "\n", "include",
        "misc_path", "notify_up", "sorry_server", "quorum", "persistence_timeout", "1.5", "999999999999999999999",
        "10.0.0.1-5", "10.0.0.0/30", "ops", "sh-port", "retry", "nb_get_retry", "nat_mask", "\\", "\t", "",
        "lvs_timeouts", "tcp", "lvs_sync_daemon", "lvsd_metrics_address", "1.2.3.4:80", "inhibit_on_failure",
        "$X=", "$X", "${X}", "$Y=$X$X$X", "@lb1", "@^lb1", "${_ENV", "${_RANDOM 2 2}", "\\#",
        // VRRP
        "vrrp_instance", "vrrp_script", "vrrp_sync_group", "static_ipaddress", "static_routes", "vrrp_track_file",
        "VI_1", "interface", "eth0", "state", "MASTER", "BACKUP", "virtual_router_id", "priority", "advert_int",
        "version", "3", "authentication", "auth_type", "PASS", "AH", "auth_pass", "virtual_ipaddress",
        "virtual_ipaddress_excluded", "virtual_routes", "10.0.0.1/24", "fe80::1/64", "dev", "brd", "+", "label",
        "scope", "peer", "via", "src", "to", "blackhole", "default", "table", "unicast_peer", "unicast_src_ip",
        "min_ttl", "max_ttl", "track_script", "track_interface", "track_file", "chk", "script", "interval", "fall",
        "rise", "-253", "254", "nopreempt", "preempt_delay", "strict_mode", "vrrp_strict", "use_vmac", "notify_master",
        "notify", "smtp_alert", "mcast_dst_ip", "224.0.0.18", "lvs_sync_daemon", "garp_master_repeat", "0",
    ]

    @Test(arguments: 0..<60)
    func randomTokenSoup(seed: Int) {
        var rng = SeededGenerator(state: UInt64(seed) &+ 12345)
        var text = ""
        for _ in 0..<Int.random(in: 1...400, using: &rng) {
            text += Self.vocabulary.randomElement(using: &rng) ?? ""
            text += Bool.random(using: &rng) ? " " : (Bool.random(using: &rng) ? "\n" : "")
        }
        let result = parse(text, strict: true, file: "fuzz.conf")
        expectWellFormed(result, lineCount: text.filter { $0 == "\n" }.count)
        let lenient = parse(text, strict: false, file: "fuzz.conf")
        // Strict mode only turns warnings into errors; it never finds fewer problems.
        #expect(lenient.diagnostics.count == result.diagnostics.count)
        #expect(lenient.errors.count <= result.errors.count)
    }

    @Test func unbalancedBraces() {
        let opened = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n weight 2\n", file: "fuzz.conf")
        #expect(opened.hasErrors)
        #expect(Set(opened.errors.map(\.location.line)) == [1, 3])
        let closed = parse("}\n}}\nglobal_defs {\n}\n}", file: "fuzz.conf")
        #expect(closed.errors.map(\.location.line) == [1, 2, 2, 5])
        let deep = parse(String(repeating: "a {\n", count: 5000), file: "fuzz.conf")
        #expect(deep.hasErrors)
        let deepClose = parse(String(repeating: "}\n", count: 5000), file: "fuzz.conf")
        #expect(deepClose.errors.count == 5000)
    }

    @Test func hugeLines() {
        let huge = "virtual_server 10.0.0.1 80 {\n" + String(repeating: "weight 1 ", count: 50_000) + "\n}\n"
        let result = parse(huge, file: "fuzz.conf")
        #expect(result.errors.contains { $0.location.line == 2 && $0.message.contains("too long") })
        let noNewline = String(repeating: "x", count: 1_000_000)
        #expect(parse(noNewline, file: "fuzz.conf").errors.first?.location.line == 1)
    }

    @Test func numbersAtTheEdges() {
        for value in ["18446744073709551616", "99999999999999999999999999", "-0", "+1", "0x10", "1e3", "", "1.", ".5"] {
            let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\n weight \(value)\n delay_loop \(value)\n}"), file: "fuzz.conf")
            expectWellFormed(result, lineCount: 8)
        }
        #expect(ConfigValue.timer(".5") == .milliseconds(500))
        #expect(ConfigValue.timer("1.") == nil)
        #expect(ConfigValue.timer("4294967296") == nil)
        #expect(ConfigValue.unsigned("18446744073709551616", in: 0...UInt64.max) == nil)
        #expect(ConfigValue.unsigned("18446744073709551615", in: 0...UInt64.max) == UInt64.max)
        #expect(ConfigValue.unsigned("00000000000000000000042", in: 0...100) == nil)   // more than 20 digits
        #expect(ConfigValue.unsigned("0042", in: 0...100) == 42)
        // Digits other than ASCII ones (Arabic-Indic, fullwidth) and blanks are not numbers.
        for text in ["\u{0661}", "\u{FF11}", " 1", "1 ", "1\u{0}"] {
            #expect(ConfigValue.unsigned(text, in: 0...UInt64.max) == nil, "\(text.debugDescription)")
        }
        #expect(ConfigValue.timer("2.000001") == .seconds(2) + .microseconds(1))
        #expect(ConfigValue.timer("1.0000001") == nil)
        #expect(ConfigValue.timer("4294967295.5") == .seconds(4_294_967_295) + .milliseconds(500))
        for text in [".", "", "1.2.3", "-1", "1.-5", "\u{0661}.5"] {
            #expect(ConfigValue.timer(text) == nil, "\(text.debugDescription)")
        }
    }

    /// The lexer cuts lines without quotes in place and rewrites the others; both must give the same words.
    @Test func plainAndQuotedLinesTokenizeAlike() {
        let plain = parse("virtual_server 10.0.0.1 80 { delay_loop 3 # comment } here\n lvs_sched rr\n protocol TCP\n"
                          + " lvs_method DR\n real_server 10.0.0.2 80 { weight 2 } ! another\n}\n")
        let quoted = parse("virtual_server \"10.0.0.1\" 80 { delay_loop \"3\" # comment } here\n lvs_sched \"rr\"\n protocol TCP\n"
                           + " lvs_method D\"R\"\n real_server 10.0.0.2 \"80\" { weight \"2\" } ! another\n}\n")
        #expect(plain.diagnostics.isEmpty)
        #expect(quoted.diagnostics.isEmpty)
        #expect(plain.configuration.virtualServers.first?.delayLoop == .seconds(3))
        #expect(plain.configuration.virtualServers.first?.realServers.first?.weight == 2)
        #expect(plain.configuration.virtualServers == quoted.configuration.virtualServers)
        // A quote glued to a word, and a brace inside quotes, are kept as the word's text.
        let glued = parse("virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n MISC_CHECK {\n misc_path \"/bin/echo {a}\"\n }\n }\n}\n")
        #expect(glued.errors.isEmpty)
    }

    @Test func emptyAndBlankInput() {
        #expect(parse("").diagnostics.isEmpty)
        #expect(parse("\n\n   \n# only comments\n!\n").diagnostics.isEmpty)
        #expect(parse("").configuration.virtualServers.isEmpty)
    }
}
