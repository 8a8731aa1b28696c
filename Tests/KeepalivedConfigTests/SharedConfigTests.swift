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

    @Test func mailAndVRRPPair000_04() throws {
        let result = check("000-04.conf")
        #expect(result.configuration.virtualServers.isEmpty)
        // The file is two configurations pasted together: the second vrrp_instance zzhz is a duplicate (keepalived:
        // "vrrp instance zzhz already defined"), dropped with a warning.
        let vrrp = result.configuration.vrrp
        #expect(vrrp.instances.count == 1)
        let vi = try #require(vrrp.instances.first)
        #expect(vi.name == "zzhz" && vi.location.line == 16 && vi.initialState == .master && vi.priority == 100)
        #expect(vi.interface == "ens192" && vi.virtualRouterID == 51 && vi.advertInterval == .seconds(1))
        #expect(vi.version == .v2 && vi.authentication?.kind == .pass && vi.authentication?.password == "1111")
        #expect(vi.notifyMaster?.arguments == ["/etc/keepalived/notify.sh", "master"])
        #expect(vi.notifyBackup?.arguments == ["/etc/keepalived/notify.sh", "backup"])
        #expect(vi.notifyFault?.arguments == ["/etc/keepalived/notify.sh", "fault"])
        let vip = try #require(vi.virtualAddresses.first)
        #expect(vi.virtualAddresses.count == 1)
        #expect(vip.address == ip("10.8.166.222") && vip.prefixLength == 24 && vip.device == "ens192" && vip.label == "ens192:1")
        #expect(result.warnings.contains { $0.location.line == 49 && $0.message.contains("vrrp instance zzhz is already defined") })
        // `vrrp_garp_interval 0` is below keepalived's minimum but equal to the default: a warning.
        #expect(result.warnings.filter { $0.message.contains("vrrp_garp_interval 0") }.map(\.location.line) == [12, 45])
        #expect(result.configuration.globalDefinitions.vrrp.garpInterval == .zero)
        #expect(result.configuration.globalDefinitions.mail.smtpServerHost == "smtp.163.com")
        #expect(result.configuration.globalDefinitions.mail.smtpConnectTimeout == .seconds(30))
        #expect(result.configuration.globalDefinitions.routerID == "KA1")
        #expect(result.configuration.globalDefinitions.mail.notificationEmail.contains("908367919@qq.com"))
        // VRRP globals are acted upon now; vrrp_skip_check_adv_addr (global) is not.
        #expect(!result.configuration.globalDefinitions.notActedUpon.contains { $0.keyword == "vrrp_garp_interval" })
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
        let vi = try #require(result.configuration.vrrp.instances.first)
        #expect(result.configuration.vrrp.instances.count == 1)
        #expect(vi.name == "VI_1" && vi.location.line == 7 && vi.interface == "ens33" && vi.virtualRouterID == 80)
        #expect(vi.priority == 100 && vi.initialState == .master && vi.advertInterval == .seconds(1))
        #expect(vi.virtualAddresses.map(\.description) == ["192.168.246.110/24"])
    }

    @Test func nat000_07WithOddBraces() throws {
        let result = check("000-07.conf")
        let vs = try #require(result.configuration.virtualServers.first)
        #expect(vs.method.forwarding == .masquerade)
        #expect(vs.realServers.map(\.address) == [ip("192.168.62.168"), ip("192.168.62.166")])
        #expect(vs.realServers.map(\.port) == [80, 80])
        let instances = result.configuration.vrrp.instances
        #expect(instances.map(\.name) == ["VI_1", "VI_2"])
        #expect(instances.map(\.interface) == ["ens37", "ens33"])
        #expect(instances.map(\.virtualRouterID) == [80, 100])
        #expect(instances.map(\.priority) == [100, 100] && instances.allSatisfy { $0.initialState == .master })
        #expect(instances.map { $0.authentication?.password } == ["1111", "2222"])
        #expect(instances.map { $0.virtualAddresses.map(\.description) } == [["192.168.31.250/24"], ["192.168.62.112/24"]])
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
        // track_script names a vrrp_script the file does not define: keepalived ignores it, and so does lvsd.
        #expect(result.warnings.contains { $0.location.line == 15 && $0.message.contains("track script chk_nginx not found") })
        let vi = try #require(result.configuration.vrrp.instances.first)
        #expect(vi.name == "External_1" && vi.virtualRouterID == 171 && vi.trackScripts.isEmpty)
        #expect(vi.notifyMaster != nil && vi.notifyBackup != nil && vi.notifyFault == nil)
        // Without -t it is only a warning.
        let lenient = KeepalivedConfigParser.parse(file: sharedConfigDirectory + "/002-17.conf")
        #expect(!lenient.hasErrors)
    }

    @Test func syncGroups002_21() {
        let result = check("002-21.conf")
        let vrrp = result.configuration.vrrp
        #expect(vrrp.syncGroups.map(\.name) == ["VG_1", "VG_2"])
        #expect(vrrp.syncGroups.map(\.members) == [["External_1", "Internal_1"], ["External_2", "Internal_2"]])
        #expect(vrrp.instances.map(\.name) == ["External_1", "External_2", "Internal_1", "Internal_2"])
        #expect(vrrp.instances.map(\.virtualRouterID) == [171, 172, 191, 192])
        #expect(vrrp.instances.map(\.priority) == [100, 95, 100, 95])
        #expect(vrrp.instances.map(\.initialState) == [.master, .backup, .master, .backup])
        #expect(vrrp.instances.map(\.interface) == ["eth1", "eth1", "eth2", "eth2"])
        #expect(vrrp.instances.map(\.syncGroup) == ["VG_1", "VG_2", "VG_1", "VG_2"])
        #expect(vrrp.instances.map { $0.virtualAddresses.map(\.address) }
                == [[ip("10.16.8.100")], [ip("10.16.8.101")], [ip("172.16.8.100")], [ip("172.16.8.101")]])
        #expect(vrrp.instances.map { $0.authentication?.password } == ["renwole0", "renwole1", "renwole2", "renwole3"])
        // vrrp_mcast_group4 224.0.0.111 applies to every instance.
        #expect(vrrp.instances.allSatisfy { $0.multicastGroup == ip("224.0.0.111") })
        #expect(result.configuration.globalDefinitions.vrrp.multicastGroup4 == ip("224.0.0.111"))
        // lvsd runs VRRP: no "not acted upon" report for the instances.
        #expect(result.diagnostics.filter { $0.kind == .notActedUpon && $0.message.contains("vrrp_instance") }.isEmpty)
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
        // vrrp_strict: authentication is dropped, state MASTER without priority 255 becomes BACKUP, no accept.
        let vi = try #require(result.configuration.vrrp.instances.first)
        #expect(result.configuration.vrrp.instances.count == 1)
        #expect(vi.name == "VI_1" && vi.interface == "eth1" && vi.virtualRouterID == 65 && vi.priority == 100)
        #expect(vi.strictMode && vi.authentication == nil && vi.initialState == .backup && !vi.accept)
        #expect(vi.virtualAddresses.map(\.description) == ["172.16.28.65/32"])
        #expect(vi.notifyFault?.arguments == ["/usr/local/keepalived/etc/keepalived/notify.sh", "fault"])
        #expect(result.warnings.contains { $0.location.line == 26 && $0.message.contains("state MASTER must match being address owner") })
        #expect(result.warnings.contains { $0.location.line == 31 && $0.message.contains("strict mode does not support authentication") })
    }
}
