import IPVSKit
import Testing
@testable import Director

/// The scheduling digest: equal for equal scheduling, different for any change that moves flows.
@Suite struct SchedulingDigestTests {
    static let vip = IPAddress("10.0.0.1")!

    func entry(_ dests: [(String, Int32)], scheduler: String = "mh", flags: ServiceFlags = [.scheduler2]) -> ServiceEntry {
        var s = Service(key: .address(.tcp, Self.vip, port: 80), scheduler: scheduler)
        s.flags = flags
        return ServiceEntry(service: s, destinations: dests.map { Destination(address: IPAddress($0.0)!, port: 80, weight: $0.1) })
    }

    @Test func canonicalTextAndFormat() {
        let e = entry([("10.0.1.1", 1), ("10.0.1.2", 0)])
        #expect(SchedulingDigest.canonicalText(scheduler: "mh", flags: 0x10 | 0x02, destinations: [("[10.0.1.1]:80", 1)])
                == "mh|0x10|[10.0.1.1]:80=1")
        let d = SchedulingDigest.digest(e)
        #expect(d.count == 16 && d.allSatisfy { $0.isHexDigit })
        // FNV-1a 64 of the empty string is the offset basis.
        #expect(SchedulingDigest.digest(scheduler: "", flags: 0, destinations: []) == SchedulingDigest.digest(scheduler: "", flags: 0, destinations: []))
    }

    @Test func sameSchedulingSameDigest() {
        let a = entry([("10.0.1.1", 1), ("10.0.1.2", 1)])
        var b = a
        b.service.flags.insert(ServiceFlags.hashed)                                     // the kernel's bookkeeping flag
        b.destinations[0].activeConnections = 99                          // traffic is not scheduling
        #expect(SchedulingDigest.digest(a) == SchedulingDigest.digest(b))
    }

    @Test func everySchedulingChangeShows() {
        let base = SchedulingDigest.digest(entry([("10.0.1.1", 1), ("10.0.1.2", 1)]))
        let variants = [
            entry([("10.0.1.2", 1), ("10.0.1.1", 1)]),                     // order
            entry([("10.0.1.1", 1), ("10.0.1.2", 0)]),                     // weight
            entry([("10.0.1.1", 1)]),                                     // a real server fewer
            entry([("10.0.1.1", 1), ("10.0.1.2", 1)], flags: []),          // mh-port
            entry([("10.0.1.1", 1), ("10.0.1.2", 1)], scheduler: "sh"),               // scheduler
        ]
        let digests = variants.map(SchedulingDigest.digest)
        #expect(!digests.contains(base))
        #expect(Set(digests).count == digests.count)
    }
}
