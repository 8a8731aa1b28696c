import Foundation
import IPVSKit
import Testing
@testable import KeepalivedConfig

/// The real-world configurations of /work/shared/configs (copied into Fixtures/shared) behave as their README says.
@Suite struct SharedConfigTests {
    private func check(_ name: String) -> ParseResult {
        KeepalivedConfigParser.parse(file: sharedConfigDirectory + "/" + name, options: ParseOptions(strict: true))
    }

    @Test(arguments: ["000-04.conf", "000-05.conf", "000-07.conf", "002-20.conf", "002-21.conf", "002-33.conf"])
    func acceptedUnderConfigTest(name: String) {
        let result = check(name)
        #expect(!result.hasErrors, "\(result.errors)")
        #expect(result.diagnostics.allSatisfy { $0.location.file.hasSuffix(name) && $0.location.line > 0 })
    }

    @Test func fixturesArePresent() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: sharedConfigDirectory).filter { $0.hasSuffix(".conf") }
        #expect(names.count == 7)
    }

    @Test func mailAndVRRPPair000_04() {
        let result = check("000-04.conf")
        #expect(result.configuration.virtualServers.isEmpty)
        #expect(result.configuration.ignoredSections.map(\.keyword) == ["vrrp_instance", "vrrp_instance"])
        #expect(result.configuration.globalDefinitions.routerID == "KA1")
        #expect(result.configuration.globalDefinitions.mail.notificationEmail.contains("908367919@qq.com"))
        #expect(result.configuration.globalDefinitions.notActedUpon.contains { $0.keyword == "vrrp_garp_interval" })
    }

    @Test func directRouting000_05WarnsAboutNatMask() throws {
        let result = check("000-05.conf")
        let natMask = try #require(result.diagnostics.first { $0.kind == .obsolete })
        #expect(natMask.location.line == 26)
        #expect(natMask.message.contains("nat_mask") && natMask.message.contains("obsolete"))
        let vs = try #require(result.configuration.virtualServers.first)
        #expect(vs.address == .endpoint(ip("192.168.246.110"), port: 80))
        #expect(vs.scheduler == "rr" && vs.method.forwarding == .route && vs.protocolType == .tcp)
        #expect(vs.delayLoop == .seconds(3))
        #expect(vs.realServers.map(\.address) == [ip("192.168.246.162"), ip("192.168.246.163")])
        #expect(vs.realServers.allSatisfy { $0.inhibitOnFailure && $0.weight == 1 && $0.checkers.count == 1 })
        let checker = try #require(vs.realServers.first?.checkers.first)
        #expect(checker.kind == .tcp && checker.connection.port == 80 && checker.connectTimeout == .seconds(3))
        #expect(checker.delayLoop == .seconds(3) && checker.retry == 1)
        // Comments after values (with UTF-8 text) are stripped.
        #expect(result.configuration.globalDefinitions.routerID == "lvs-keepalived-master")
    }

    @Test func nat000_07WithOddBraces() throws {
        let result = check("000-07.conf")
        let vs = try #require(result.configuration.virtualServers.first)
        #expect(vs.method.forwarding == .masquerade)
        #expect(vs.realServers.map(\.address) == [ip("192.168.62.168"), ip("192.168.62.166")])
        #expect(vs.realServers.map(\.port) == [80, 80])
        #expect(result.configuration.ignoredSections.map { $0.arguments.first ?? "" } == ["VI_1", "VI_2"])
        #expect(result.diagnostics.contains { $0.kind == .obsolete && $0.location.line == 25 })
    }

    @Test func httpGet002_20WarnsNbGetRetry() throws {
        let result = check("002-20.conf")
        let deprecatedRetry = result.diagnostics.filter { $0.kind == .deprecated && $0.message.contains("nb_get_retry") }
        #expect(deprecatedRetry.map(\.location.line) == [15, 27, 46, 58])
        #expect(deprecatedRetry.allSatisfy { $0.message.contains("deprecated alias of 'retry'") })
        let vss = result.configuration.virtualServers
        #expect(vss.count == 2)
        let checker = try #require(vss.first?.realServers.first?.checkers.first)
        #expect(checker.kind == .http && checker.retry == 3 && checker.delayBeforeRetry == .seconds(1))
        #expect(checker.connectTimeout == .seconds(1))
        #expect(checker.http?.urls.first?.statusCodes == [200...200])
    }

    @Test func typo002_17IsRejectedNamingLine19AndTheKeyword() throws {
        let result = check("002-17.conf")
        #expect(result.hasErrors)
        let error = try #require(result.errors.first)
        #expect(error.location.line == 19)
        #expect(error.location.file.hasSuffix("002-17.conf"))
        #expect(error.message.contains(#"notify_"/usr/local/keepalived/etc/keepalived/notify.sh fault""#))
        #expect(result.errors.count == 1)
        // Without -t it is only a warning.
        let lenient = KeepalivedConfigParser.parse(file: sharedConfigDirectory + "/002-17.conf")
        #expect(!lenient.hasErrors)
    }

    @Test func syncGroups002_21() {
        let result = check("002-21.conf")
        #expect(result.configuration.ignoredSections.filter { $0.keyword == "vrrp_sync_group" }.count == 2)
        #expect(result.configuration.ignoredSections.filter { $0.keyword == "vrrp_instance" }.count == 4)
        #expect(result.diagnostics.filter { $0.kind == .notActedUpon && $0.message.contains("vrrp_instance") }.count == 1)
    }

    @Test func annotated002_33WithSSLDigests() throws {
        let result = check("002-33.conf")
        let vs = try #require(result.configuration.virtualServers.first)
        #expect(vs.persistenceTimeout == 50)
        #expect(vs.method.forwarding == .masquerade)
        let checker = try #require(vs.realServers.first?.checkers.first)
        #expect(checker.kind == .ssl)
        #expect(checker.http?.urls.map(\.path) == ["/", "/mrtg/"])
        #expect(checker.http?.urls.map(\.digest) == ["ff20ad2481f97b1754ef3e12ecd3a9cc", "9b3a0c85a887a256d6939da88aabd8cd"])
        #expect(checker.retry == 3 && checker.connectTimeout == .seconds(3) && checker.delayBeforeRetry == .seconds(3))
        let entry = try #require(IPVSMapping.entries(for: result.configuration).first)
        #expect(entry.service.key == .address(.tcp, ip("172.16.28.65"), port: 80))
        #expect(entry.service.persistenceTimeout == 50 && entry.service.flags.contains(.persistent))
        #expect(entry.service.scheduler == "rr")
    }
}
