import IPVSKit
import Testing
@testable import KeepalivedConfig

@Suite struct SMTPCheckerConfigTests {
    private func smtp(_ body: String, rs: String = "") -> (Checker?, ParseResult) {
        let result = parse(vsConfig("", "real_server 10.0.0.2 80 {\n\(rs)\nSMTP_CHECK {\n\(body)\n}\n}"))
        return (result.configuration.virtualServers.first?.realServers.first?.checkers.first, result)
    }

    @Test func defaults() throws {
        let (c, result) = smtp("")
        let checker = try #require(c)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(checker.smtp?.heloName == "smtpchecker.keepalived.org")
        #expect(checker.retry == 1 && checker.delayBeforeRetry == .seconds(1) && checker.connectTimeout == .seconds(5))
        let targets = checker.smtpTargets
        #expect(targets.count == 1 && targets.first?.connection.ip == nil)
    }

    @Test func heloNameAndHostsExpandAsKeepalived() throws {
        // No connection keyword on the block: the first host replaces it; timers set in a host are the checker's.
        let (c, result) = smtp("""
            helo_name mx.example.org
            host {
                connect_ip 10.0.0.3
                connect_port 2525
                retry 4
            }
            host {
                connect_ip 10.0.0.4
                connect_timeout 2
            }
            """, rs: "connect_timeout 7")
        let checker = try #require(c)
        #expect(checker.smtp?.heloName == "mx.example.org")
        #expect(checker.retry == 4)
        let targets = checker.smtpTargets
        #expect(targets.map(\.connection.ip?.description) == ["10.0.0.3", "10.0.0.4"])
        #expect(targets.map(\.connection.port) == [2525, nil])
        #expect(targets.map(\.connectTimeout) == [.seconds(7), .seconds(2)])
        #expect(result.diagnostics.contains { $0.kind == .deprecated && $0.message.contains("host block is deprecated") })
        // A connection keyword on the block: the block is checked too.
        let (own, _) = smtp("connect_port 26\nhost {\n connect_ip 10.0.0.3\n}")
        #expect(own?.smtpTargets.map(\.connection.port) == [26, nil])
    }

    @Test func garbageIsReportedWithFileAndLine() {
        let missing = parse(vsConfig("", "real_server 10.0.0.2 80 {\nSMTP_CHECK {\nhelo_name\n}\n}"), file: "smtp.conf")
        let error = missing.errors.first
        #expect(error?.message == "SMTP_CHECK helo name missing")
        #expect(error?.location.file == "smtp.conf" && error?.location.line == 7)
        let badPort = parse(vsConfig("", "real_server 10.0.0.2 80 {\nSMTP_CHECK {\nhost {\nconnect_port 99999\n}\n}\n}"))
        #expect(badPort.errors.first?.location.line == 8)
        let unknown = parse(vsConfig("", "real_server 10.0.0.2 80 {\nSMTP_CHECK {\nhost {\nhelo_name x\n}\n}\n}"))
        #expect(unknown.diagnostics.first { $0.kind == .unknownKeyword }?.location.line == 8)
        let badTimeout = parse(vsConfig("", "real_server 10.0.0.2 80 {\nSMTP_CHECK {\nconnect_timeout soon\n}\n}"))
        #expect(badTimeout.errors.first?.location.line == 7)
    }
}

@Suite struct FileCheckerConfigTests {
    private let trackFiles = """
        track_file tf {
            file /run/lvs/weight
            weight 3 reverse
            init_file 7 overwrite
        }
        track_file plain {
            file /run/lvs/plain
        }

        """

    private func file(_ body: String) -> (Checker?, ParseResult) {
        let result = parse(trackFiles + vsConfig("", "real_server 10.0.0.2 80 {\nFILE_CHECK {\n\(body)\n}\n}"), file: "f.conf")
        return (result.configuration.virtualServers.first?.realServers.first?.checkers.first, result)
    }

    @Test func inheritsTheTrackFilesWeightAndInit() throws {
        let (c, result) = file("track_file tf")
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let f = try #require(c?.file)
        #expect(f.path == "/run/lvs/weight" && f.weight == 3 && f.reverse)
        #expect(f.initValue == 7 && f.initOverwrite)
        let (plain, _) = file("track_file plain")
        let p = try #require(plain?.file)
        #expect(p.weight == 1 && !p.reverse && p.initValue == nil)
    }

    @Test func ownWeightOverrides() throws {
        let (c, _) = file("track_file tf\nweight -20 noreverse")
        let f = try #require(c?.file)
        #expect(f.weight == -20 && !f.reverse)
        let (zero, _) = file("track_file tf\nweight 0")
        #expect(zero?.file?.weight == 0)
    }

    @Test func garbageIsReportedWithFileAndLine() {
        // Line numbers: 8 lines of track_file blocks, then the virtual server; FILE_CHECK's body
        // starts at line 15.
        let (unknownFile, r1) = file("track_file nosuch")
        #expect(unknownFile == nil)
        #expect(r1.errors.contains {
            $0.message == "track_file nosuch not found" && $0.location.file == "f.conf" && $0.location.line == 15
        }, "\(r1.diagnostics)")
        let (_, r2) = file("track_file tf\nweight heavy")
        #expect(r2.errors.first?.location.line == 16)
        #expect(r2.errors.first?.message.contains("heavy") == true)
        let (_, r3) = file("track_file tf\nweight 5 sideways")
        #expect(r3.errors.first?.location.line == 16)
        let (none, r4) = file("")
        #expect(none == nil)
        #expect(r4.errors.first?.message == "FILE_CHECK has no track_file specified - ignoring")
        let (_, r5) = file("track_file tf\nconnect_port 80")
        #expect(r5.diagnostics.contains { $0.location.line == 16 })
        // Only track_file and weight: keepalived knows no retry or delay_loop in FILE_CHECK.
        let (_, r6) = file("track_file tf\nretry 3")
        #expect(r6.diagnostics.contains { $0.kind == .unknownKeyword && $0.location.line == 16 })
        let badInit = parse("track_file t {\n file /x\n init_file seven\n}\n" + vsConfig("", "real_server 10.0.0.2 80 {\nFILE_CHECK {\ntrack_file t\n}\n}"))
        #expect(badInit.errors.first?.message == "Unknown track file init option seven")
        let badNumber = parse("track_file t {\n file /x\n init_file 12x\n}\n" + vsConfig("", "real_server 10.0.0.2 80 {\nFILE_CHECK {\ntrack_file t\n}\n}"))
        #expect(badNumber.errors.first?.message == "Track file t init value 12x is invalid")
    }
}
