import IPVSKit
import Testing
@testable import KeepalivedConfig

/// lvsd's director-tier keywords: `announce`, `lvsd_announce_interface`, the `lvsd_*` sysctls, and the ECMP
/// warnings, with file:line diagnostics for garbage.
@Suite struct DirectorTierConfigTests {
    @Test func announceWithRiseAndFall() throws {
        let vs = try #require(singleVS(vsConfig("lvs_sched mh\n mh-port\n announce rise 3 fall 1.5")))
        let a = try #require(vs.announce)
        #expect(a.rise == .seconds(3) && a.fall == .milliseconds(1500))
        #expect(a.location.line == 6)
    }

    @Test func announceDefaultsAndAbsence() throws {
        let vs = try #require(singleVS(vsConfig("lvs_sched sh\n announce")))
        #expect(vs.announce == AnnounceSettings(location: vs.location))
        #expect(singleVS(vsConfig("lvs_sched sh"))?.announce == nil)
        // Stock keepalived.conf: neither the setting nor any new diagnostic.
        let stock = parse(vsConfig("lvs_sched rr"))
        #expect(stock.configuration.virtualServers.first?.announce == nil)
        #expect(stock.messages(containing: "announce").isEmpty)
    }

    @Test(arguments: [
        ("announce rise", "'rise' needs a number of seconds"),
        ("announce rise x", "invalid value 'x' for 'announce'"),
        ("announce soon 3", "invalid value 'soon' for 'announce'"),
        ("announce fall -1", "invalid value '-1' for 'announce'"),
    ])
    func announceGarbage(line: String, message: String) throws {
        let result = parse(vsConfig("lvs_sched sh\n \(line)"))
        #expect(result.hasErrors)
        let d = try #require(result.errors.first)
        #expect(d.message.contains(message), "\(d)")
        #expect(d.location.file == "test.conf" && d.location.line == 5, "\(d)")
        #expect(result.configuration.virtualServers.first?.announce == nil)
    }

    @Test func announceInterfaceAndSysctls() {
        let result = parse("""
            global_defs {
                lvsd_announce_interface ecmp0
                lvsd_sloppy_tcp
                lvsd_schedule_icmp on
                lvsd_expire_nodest_conn yes
                lvsd_conntrack off
            }
            """, strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let g = result.configuration.globalDefinitions
        #expect(g.announceInterface == "ecmp0")
        #expect(g.directorSysctls == DirectorSysctls(sloppyTCP: true, scheduleICMP: true, expireNodestConn: true, conntrack: false))
        #expect(g.directorSysctls.settings.map(\.name) == ["sloppy_tcp", "schedule_icmp", "expire_nodest_conn", "conntrack"])
        #expect(parse("").configuration.globalDefinitions.announceInterface == "lvs0")
        #expect(parse("").configuration.globalDefinitions.directorSysctls.settings.isEmpty)
    }

    @Test(arguments: [
        ("lvsd_announce_interface a/b", 2, "invalid value 'a/b'"),
        ("lvsd_announce_interface abcdefghijklmnopq", 2, "invalid value"),
        ("lvsd_announce_interface", 2, "needs an interface name"),
        ("lvsd_sloppy_tcp maybe", 2, "invalid value 'maybe' for 'lvsd_sloppy_tcp'"),
    ])
    func globalGarbage(line: String, at lineNumber: Int, message: String) throws {
        let result = parse("global_defs {\n    \(line)\n}\n")
        let d = try #require(result.errors.first)
        #expect(d.message.contains(message), "\(d)")
        #expect(d.location.line == lineNumber)
        #expect(result.configuration.globalDefinitions.announceInterface == "lvs0")
    }

    @Test func ecmpWarnings() {
        let mh = parse(vsConfig("lvs_sched mh\n announce"))
        #expect(mh.messages(containing: "without 'mh-port'").count == 1)
        #expect(mh.messages(containing: "without 'mh-port'").first?.location.line == 5)
        #expect(!mh.hasErrors)
        #expect(parse(vsConfig("lvs_sched mh\n mh-port\n announce")).warnings.isEmpty)
        let rr = parse(vsConfig("lvs_sched rr\n announce"))
        #expect(rr.messages(containing: "no 'lvs_sync_daemon'").count == 1)
        // Without announce nothing changes for stock files.
        #expect(parse(vsConfig("lvs_sched mh")).warnings.isEmpty)
        let fwmark = parse("virtual_server fwmark 5 {\n lvs_method DR\n lvs_sched sh\n announce\n real_server 10.0.0.2 80 {\n }\n}\n")
        #expect(fwmark.messages(containing: "a fwmark has none").count == 1)
    }

    @Test func tooManyRealServersForMaglev() {
        var body = ""
        for i in 0..<(AnnounceDefaults.maglevTableSize + 1) {
            body += "real_server 10.\(1 + i / 65536).\(i / 256 % 256).\(i % 256) 80 {\n}\n"
        }
        let result = parse(vsConfig("lvs_sched mh\n mh-port\n announce", body))
        #expect(result.messages(containing: "4093-slot").count == 1)
    }
}
