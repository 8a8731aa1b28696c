import Testing
@testable import VRRP

/// Timer arithmetic in microseconds (reference §1.5's worked numbers).
@Suite struct TimerTests {
    @Test func v2Priority100() {
        #expect(VRRPTimers.skew(version: .v2, priority: 100, masterAdvertInterval: 1_000_000) == 609_375)
        #expect(VRRPTimers.masterDown(version: .v2, priority: 100, masterAdvertInterval: 1_000_000) == 3_609_375)
    }

    @Test func v2Priority254() {
        #expect(VRRPTimers.skew(version: .v2, priority: 254, masterAdvertInterval: 1_000_000) == 7_812)
        #expect(VRRPTimers.masterDown(version: .v2, priority: 254, masterAdvertInterval: 1_000_000) == 3_007_812)
        // v2 skew does not depend on the interval (RFC 3768: (256 - prio) / 256 s).
        #expect(VRRPTimers.skew(version: .v2, priority: 254, masterAdvertInterval: 5_000_000) == 7_812)
    }

    @Test func v3HundredMilliseconds() {
        // (256 - 100) * 10 cs * 625 / 16 = 60 937.5 -> 60 937 µs.
        #expect(VRRPTimers.skew(version: .v3, priority: 100, masterAdvertInterval: 100_000) == 60_937)
        #expect(VRRPTimers.masterDown(version: .v3, priority: 100, masterAdvertInterval: 100_000) == 360_937)
    }

    @Test func v3TenMillisecondsPriority254IsNotZero() {
        #expect(VRRPTimers.skew(version: .v3, priority: 254, masterAdvertInterval: 10_000) == 78)
    }

    @Test func v3Priority200OneSecondIsExact() {
        // FRR would show 210 ms; the exact value is 218.75 ms.
        #expect(VRRPTimers.skew(version: .v3, priority: 200, masterAdvertInterval: 1_000_000) == 218_750)
    }

    @Test func minimumSkewAndDownTimerAdverts() {
        #expect(VRRPTimers.minimumSkew(version: .v2, masterAdvertInterval: 1_000_000) == 3_906)
        #expect(VRRPTimers.minimumSkew(version: .v3, masterAdvertInterval: 100_000) == 390)
        #expect(VRRPTimers.masterDown(version: .v3, priority: 100, masterAdvertInterval: 100_000, downTimerAdverts: 30) == 3_060_937)
    }

    @Test func learnedIntervalIsCentiseconds() throws {
        let advert = Advertisement(version: .v3, vrid: 1, priority: 100, maxAdvertInterval: 25, addresses: [])
        #expect(VRRPTimers.learnedInterval(advert) == 250_000)
    }
}
