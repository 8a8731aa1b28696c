import Director
import Foundation
import IPVSKit
import KeepalivedConfig
import Testing
@testable import LVSDaemon

/// The sysctl writer (on a scratch directory) and the director-tier metric lines.
@Suite struct DirectorTierSupportTests {
    @Test func sysctlsWrittenAndReadBack() throws {
        let dir = NSTemporaryDirectory() + "lvsd-sysctl-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["sloppy_tcp", "conntrack"] { try "0\n".write(toFile: "\(dir)/\(name)", atomically: true, encoding: .ascii) }
        let result = DirectorSysctlWriter.apply(DirectorSysctls(sloppyTCP: true, conntrack: false), directory: dir)
        #expect(result.failures.isEmpty)
        #expect(result.values == ["sloppy_tcp": 1, "conntrack": 0])
        #expect(try String(contentsOfFile: "\(dir)/sloppy_tcp", encoding: .ascii) == "1\n")
        let missing = DirectorSysctlWriter.apply(DirectorSysctls(scheduleICMP: true), directory: dir + "/none")
        #expect(missing.values.isEmpty && missing.failures.count == 1 && missing.failures[0].contains("schedule_icmp"))
        let nothing = DirectorSysctlWriter.apply(DirectorSysctls(), directory: dir + "/none")
        #expect(nothing.values.isEmpty && nothing.failures.isEmpty)
    }

    @Test func metricLines() throws {
        let c = try candidate(config(weights: [1, 2], scheduler: "mh"))
        let spec = try #require(c.setup.virtualServers.first)
        var service = spec.service
        service.key = spec.serviceKeys[0]
        let entry = ServiceEntry(service: service, destinations: [Destination(address: IPAddress("10.10.0.2")!, port: 80, weight: 1)])
        let report = AnnounceReport(interface: "lvs0", drained: false, error: nil,
                                    addresses: [.init(address: IPAddress("10.10.0.1")!, announced: true)], virtualServers: [])
        let text = StatusMapping.directorTierMetrics(table: [entry], managed: c.setup.virtualServers, announce: report)
        #expect(text.contains("lvsd_scheduling_digest_info{virtual_server=\"[10.10.0.1]:tcp:80\",service=\"\(spec.serviceKeys[0])\",scheduler=\"mh\",digest=\"\(SchedulingDigest.digest(entry))\"} 1\n"))
        #expect(text.contains("lvsd_vip_announced{address=\"10.10.0.1\",interface=\"lvs0\"} 1\n"))
        #expect(text.contains("lvsd_drained 0\n"))
        #expect(StatusMapping.directorTierMetrics(table: nil, managed: [], announce: nil).isEmpty)
    }
}
