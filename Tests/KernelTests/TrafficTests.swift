import Foundation
import Glibc
import IPVSKit
import Testing

/// Real connections through IPVS (NAT to a local HTTP server inside a private namespace), so counters are real.
@Suite("Kernel: counters from real traffic")
struct KernelTrafficTests {
    @Test func countersMatchIpvsadmExactlyAndZeroResetsThem() throws {
        let ns = try TestNamespace("traffic")
        try ns.exec("/sbin/ip", ["addr", "add", "10.10.0.1/32", "dev", "lo"])
        try ns.exec("/sbin/ip", ["addr", "add", "10.10.0.2/32", "dev", "lo"])
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/sbin/ip")
        server.arguments = ["netns", "exec", ns.name, "python3", "-m", "http.server", "8000", "--bind", "10.10.0.2", "--directory", "/usr/share/doc"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try launch(server)
        defer { kill(server.processIdentifier, SIGKILL) }

        let ipvs = try ns.client()
        let key = ServiceKey.address(.tcp, ip("10.10.0.1"), port: 80)
        try ipvs.addService(Service(key: key, scheduler: "rr"))
        try ipvs.addDestination(Destination(address: ip("10.10.0.2"), port: 8000, forwarding: .masquerade), to: key)

        var ok = 0
        for attempt in 0..<60 where ok < 5 {
            let r = try ns.exec("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "http://10.10.0.1/"])
            if r.stdout == "200" { ok += 1 } else if attempt > 0 { usleep(200_000) }
        }
        #expect(ok == 5)
        // The kernel folds per-CPU counters into what it reports every 2 s.
        var service = try #require(try ipvs.service(key))
        for _ in 0..<40 where service.stats.connections < 5 {
            usleep(250_000)
            service = try #require(try ipvs.service(key))
        }
        #expect(service.stats.connections >= 5)
        #expect(service.stats.inPackets > 0)
        #expect(service.stats.outBytes > service.stats.inBytes)  // responses are bigger than requests

        // Cross-check every counter with ipvsadm --stats --exact. The kernel's estimator can fold in late packets
        // between two reads, so compare a snapshot that ours read identically before and after ipvsadm's.
        let dest = try #require(try ipvs.destinations(of: key).first)
        var compared = false
        for _ in 0..<20 where !compared {
            let before = try #require(try ipvs.service(key)).stats
            let destBefore = try #require(try ipvs.destinations(of: key).first).stats
            let listing = try ns.ipvsadm("-Ln", "--stats", "--exact")
            let after = try #require(try ipvs.service(key)).stats
            let destAfter = try #require(try ipvs.destinations(of: key).first).stats
            guard before == after, destBefore == destAfter else { usleep(500_000); continue }
            compared = true
            let lines = listing.split(separator: "\n")
            let svcLine = try #require(lines.first { $0.hasPrefix("TCP  10.10.0.1:80") })
            let destLine = try #require(lines.first { $0.contains("-> 10.10.0.2:8000") })
            let s = before
            #expect(svcLine.split(separator: " ").suffix(5).map { UInt64($0) } == [s.connections, s.inPackets, s.outPackets, s.inBytes, s.outBytes])
            let d = destBefore
            #expect(destLine.split(separator: " ").suffix(5).map { UInt64($0) } == [d.connections, d.inPackets, d.outPackets, d.inBytes, d.outBytes])
        }
        #expect(compared, "the counters never held still long enough to compare")
        #expect(dest.activeConnections + dest.inactiveConnections >= 1)

        try ipvs.zero(key)
        let zeroed = try #require(try ipvs.service(key))
        #expect(zeroed.stats.connections == 0)
        #expect(zeroed.stats.inBytes == 0)
    }
}
