import Director
import IPVSKit
import KeepalivedConfig
import Testing

/// `announce` in the setup: the announcement specs, and failed real servers kept at weight 0 (not deleted).
@Suite struct AnnounceSetupTests {
    static let text = """
        virtual_server_group G {
            10.0.0.10-11 80
            fwmark 7
        }
        virtual_server 10.0.0.1 80 {
            protocol TCP
            lvs_method DR
            lvs_sched mh
            mh-port
            announce rise 2 fall 1
            real_server 10.0.0.2 80 {
            }
            real_server 10.0.0.3 80 {
                inhibit_on_failure
            }
        }
        virtual_server group G {
            protocol TCP
            lvs_method DR
            lvs_sched sh
            announce
            real_server 10.0.0.4 80 {
            }
        }
        virtual_server 10.0.0.5 80 {
            protocol TCP
            lvs_method DR
            real_server 10.0.0.6 80 {
            }
        }

        """

    @Test func specsAndInhibit() throws {
        let result = KeepalivedConfigParser.parse(text: Self.text, file: "t.conf")
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let setup = KeepalivedSetup(configuration: result.configuration)
        #expect(setup.announcements.count == 2)
        let first = try #require(setup.announcements.first)
        #expect(first.virtualServer == .service(.address(.tcp, IPAddress("10.0.0.1")!, port: 80)))
        #expect(first.addresses == [IPAddress("10.0.0.1")!] && first.rise == .seconds(2) && first.fall == .seconds(1))
        let group = setup.announcements[1]
        #expect(group.virtualServer == .group("G"))
        #expect(group.addresses == [IPAddress("10.0.0.10")!, IPAddress("10.0.0.11")!])
        // announce: every real server inhibited on failure; without announce: as configured.
        #expect(setup.virtualServers[0].realServers.allSatisfy { $0.inhibitOnFailure == true })
        #expect(setup.virtualServers[1].realServers.allSatisfy { $0.inhibitOnFailure == true })
        #expect(setup.virtualServers[2].realServers.allSatisfy { $0.inhibitOnFailure != true })
    }
}
