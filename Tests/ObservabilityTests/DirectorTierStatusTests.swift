import Foundation
import Observability
import Testing

/// The director-tier parts of the status report: scheduling digest, announcements, sysctls.
@Suite struct DirectorTierStatusTests {
    static func report() -> StatusReport {
        var vs = VirtualServerStatus(service: "TCP 10.0.0.1:80", scheduler: "mh", inKernel: true, quorumUp: true, realServers: [])
        vs.schedulingDigest = "0123456789abcdef"
        var r = StatusReport(version: "1", pid: 1, generatedAt: Date(timeIntervalSince1970: 1_795_000_000),
                             startedAt: Date(timeIntervalSince1970: 1_795_000_000), configFile: "k.conf", virtualServers: [vs])
        r.announce = AnnounceStatus(
            interface: "lvs0", drained: true,
            addresses: [.init(address: "10.0.0.1", announced: false), .init(address: "10.0.0.2", announced: true)],
            decisions: [.init(virtualServer: "[10.0.0.1]:tcp:80", healthy: true, announce: false, pending: false,
                              riseSeconds: 3, fallSeconds: 0.5)])
        r.sysctls = [SysctlStatus(name: "net.ipv4.vs.sloppy_tcp", value: 1)]
        return r
    }

    @Test func jsonKeysAndRoundTrip() throws {
        let r = Self.report()
        let json = r.renderJSON()
        #expect(try StatusReport.decodeJSON(json) == r)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let announce = try #require(object["announce"] as? [String: Any])
        #expect(Set(announce.keys) == ["interface", "drained", "addresses", "decisions"])
        let decision = try #require((announce["decisions"] as? [[String: Any]])?.first)
        #expect(Set(decision.keys) == ["virtual_server", "healthy", "announce", "pending", "rise_seconds", "fall_seconds"])
        let vs = try #require((object["virtual_servers"] as? [[String: Any]])?.first)
        #expect(vs["scheduling_digest"] as? String == "0123456789abcdef")
        let sysctl = try #require((object["sysctls"] as? [[String: Any]])?.first)
        #expect(sysctl["name"] as? String == "net.ipv4.vs.sloppy_tcp" && sysctl["value"] as? Int == 1)
    }

    @Test func text() {
        let text = Self.report().renderText()
        #expect(text.contains("  scheduling digest 0123456789abcdef\n"))
        #expect(text.contains("announce on lvs0 (DRAINED): 10.0.0.1 withdrawn, 10.0.0.2 announced\n"))
        #expect(text.contains("sysctls: net.ipv4.vs.sloppy_tcp=1\n"))
    }

    @Test func absentWithoutTheFeatures() throws {
        let plain = StatusReport(version: "1", pid: 1, generatedAt: Date(), startedAt: Date(), configFile: "k", virtualServers: [])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(plain.renderJSON().utf8)) as? [String: Any])
        #expect(object["announce"] == nil && object["sysctls"] == nil)
        #expect(!plain.renderText().contains("announce"))
    }
}
