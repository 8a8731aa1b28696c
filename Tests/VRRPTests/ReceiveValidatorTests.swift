import Testing
@testable import VRRP

/// Every drop reason of keepalived's `vrrp_check_packet` (reference §2), and the order of the checks.
@Suite struct ReceiveValidatorTests {
    let source = VRRPAddress.v4(0x0a00_0002)       // 10.0.0.2
    let vip = VRRPAddress.v4(0x0a00_0064)          // 10.0.0.100
    let vip2 = VRRPAddress.v4(0x0a00_0065)         // 10.0.0.101

    var v2Expectations: ReceiveExpectations {
        ReceiveExpectations(version: .v2, family: .ipv4, authType: .simplePassword, authData: Advertisement.password("pw"),
                            advertIntervalMicroseconds: 1_000_000, addresses: [vip])
    }

    func v2Advert(priority: UInt8 = 100, interval: UInt16 = 1, addresses: [VRRPAddress]? = nil,
                  authType: AuthType = .simplePassword, password: String = "pw") -> Advertisement {
        Advertisement(version: .v2, vrid: 7, priority: priority, maxAdvertInterval: interval, addresses: addresses ?? [vip],
                      authType: authType, authData: Advertisement.password(password))
    }

    /// A datagram as keepalived would send it.
    func datagram(_ a: Advertisement, destination: VRRPAddress = .multicastGroupV4, ttl: UInt8 = 255,
                  form: ChecksumForm? = nil) throws -> [UInt8] {
        let m = try a.encode(source: source, destination: destination, form: form)
        return IPv4Header(source: source, destination: destination, payloadLength: m.count, identification: 1, ttl: ttl).encode() + m
    }

    func drop(_ bytes: [UInt8], _ ours: ReceiveExpectations, checkAddresses: Bool = true) -> DropReason? {
        if case .failure(let r) = ReceiveValidator.validate(.ipv4(bytes), expecting: ours, checkAddresses: checkAddresses) { return r }
        return nil
    }

    @Test func acceptsAValidAdvert() throws {
        let result = ReceiveValidator.validate(.ipv4(try datagram(v2Advert())), expecting: v2Expectations)
        let accepted = try result.get()
        #expect(accepted.source == source)
        #expect(accepted.advertisement.priority == 100)
        #expect(ReceiveValidator.vrid(of: .ipv4(try datagram(v2Advert()))) == 7)
    }

    @Test func tooShortAndMalformed() throws {
        let good = try datagram(v2Advert())
        #expect(drop(Array(good.prefix(27)), v2Expectations) == .tooShort(family: .ipv4, length: 27))
        #expect(drop(Array(good.prefix(27)), v2Expectations)?.logLine(instance: "VI_1", vrid: 7) == "IPv4 VRRP packet too short - 27 bytes")
        #expect(drop(Array(good.prefix(10)), v2Expectations) == .tooShort(family: .ipv4, length: 10))
        #expect(ReceiveValidator.vrid(of: .ipv4(Array(good.prefix(27)))) == nil)
        var bad = good
        bad[0] = 0x43
        #expect(drop(bad, v2Expectations) == .malformedIPHeader(.badIPv4HeaderLength(12)))
        #expect(ReceiveValidator.validate(.ipv6([0x31, 1, 2], source: source, destination: nil, hopLimit: nil),
                                          expecting: v2Expectations) == .failure(.tooShort(family: .ipv6, length: 3)))
    }

    @Test func check1AuthenticationHeader() throws {
        var bytes = try datagram(v2Advert())
        bytes[9] = 51
        #expect(drop(bytes, v2Expectations) == .authHeaderMismatch)
    }

    @Test func check2Length() throws {
        let good = try datagram(v2Advert())
        #expect(drop(good + [0], v2Expectations) == .lengthMismatch(received: 41, expected: 40))
        var moreAddresses = good
        moreAddresses[23] = 2
        #expect(drop(moreAddresses, v2Expectations) == .lengthMismatch(received: 40, expected: 44))
        #expect(drop(moreAddresses, v2Expectations)?.keepalivedMessage == "vrrp packet too short, length 40 and expect 44")
    }

    @Test func check3TTLOnlyForMulticast() throws {
        let low = try datagram(v2Advert(), ttl: 64)
        #expect(drop(low, v2Expectations) == .ttlNot255(received: 64))
        // Unicast without check_unicast_src: no TTL check.
        var unicast = v2Expectations
        unicast.unicastPeers = [UnicastPeer(source)]
        let toPeer = try datagram(v2Advert(), destination: .v4(0x0a00_0001), ttl: 64)
        #expect(drop(toPeer, unicast) == nil)
    }

    @Test func check4Version() throws {
        let v3 = Advertisement(version: .v3, vrid: 7, priority: 100, maxAdvertInterval: 100, addresses: [vip])
        let bytes = try datagram(v3)
        #expect(drop(bytes, v2Expectations) == .versionMismatch(received: 3, expected: 2))
    }

    @Test func check5Authentication() throws {
        #expect(drop(try datagram(v2Advert(authType: AuthType(rawValue: 3))), v2Expectations) == .invalidAuthType(3))
        #expect(drop(try datagram(v2Advert(authType: .none)), v2Expectations) == .authTypeMismatch(received: 0, expected: 1))
        #expect(drop(try datagram(v2Advert(password: "other")), v2Expectations) == .passwordMismatch)
        // Only the first 8 bytes count.
        var long = v2Expectations
        long.authData = Advertisement.password("12345678")
        #expect(drop(try datagram(v2Advert(password: "123456789")), long) == nil)
    }

    @Test func check6IntervalIsAKeepalivedDrop() throws {
        let reason = try #require(drop(try datagram(v2Advert(interval: 2)), v2Expectations))
        #expect(reason == .intervalMismatch(mineSeconds: 1, receivedSeconds: 2))
        #expect(reason.isKeepalivedDrop)
        #expect(reason.logLine(instance: "VI_1", vrid: 7) == "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec")
    }

    @Test func check6SkippedForV3() throws {
        let ours = ReceiveExpectations(version: .v3, family: .ipv4, advertIntervalMicroseconds: 1_000_000, addresses: [vip])
        let other = Advertisement(version: .v3, vrid: 7, priority: 100, maxAdvertInterval: 50, addresses: [vip])
        #expect(drop(try datagram(other), ours) == nil)
    }

    @Test func check7Type() throws {
        var bytes = try datagram(v2Advert())
        bytes[20] = 0x22  // the checksum is now wrong too, but check 7 comes before check 10
        #expect(drop(bytes, v2Expectations) == .invalidType(2))
    }

    @Test func check8AddressCount() throws {
        let two = try datagram(v2Advert(addresses: [vip, vip2]))
        #expect(drop(two, v2Expectations) == .addressCountMismatch(received: 2, expected: 1))
        // Skipped when the caller says so (vrrp_skip_check_adv_addr, same master).
        #expect(drop(two, v2Expectations, checkAddresses: false) == nil)
    }

    @Test func check9IPTotalLength() throws {
        var bytes = try datagram(v2Advert())
        bytes[3] = 41
        #expect(drop(bytes, v2Expectations) == .ipTotalLengthMismatch(header: 41, received: 40))
    }

    @Test func check10Checksum() throws {
        var bytes = try datagram(v2Advert())
        bytes[26] ^= 0x01
        #expect(drop(bytes, v2Expectations) == .badChecksum(version: .v2))
        #expect(drop(bytes, v2Expectations)?.logLine(instance: "VI_1", vrid: 7) == "(VI_1) Invalid VRRPv2 checksum")
    }

    @Test func check10V3AcceptsBothIPv4Forms() throws {
        let ours = ReceiveExpectations(version: .v3, family: .ipv4, advertIntervalMicroseconds: 1_000_000, addresses: [vip])
        let a = Advertisement(version: .v3, vrid: 7, priority: 100, maxAdvertInterval: 100, addresses: [vip])
        let withPseudo = try ReceiveValidator.validate(.ipv4(try datagram(a)), expecting: ours).get()
        #expect(withPseudo.checksumForm == .pseudoHeader)
        let rfc9568 = try ReceiveValidator.validate(.ipv4(try datagram(a, form: .message)), expecting: ours).get()
        #expect(rfc9568.checksumForm == .message)
        var broken = try datagram(a)
        broken[27] ^= 0x10
        #expect(drop(broken, ours) == .badChecksum(version: .v3))
    }

    @Test func check11CastMode() throws {
        var unicast = v2Expectations
        unicast.unicastPeers = [UnicastPeer(source)]
        #expect(drop(try datagram(v2Advert()), unicast) == .castModeMismatch(expectedUnicast: true))
        #expect(drop(try datagram(v2Advert(), destination: .v4(0x0a00_0001)), v2Expectations) == .castModeMismatch(expectedUnicast: false))
        #expect(DropReason.castModeMismatch(expectedUnicast: true).keepalivedMessage
                == "Expected unicast packet but received multicast packet")
    }

    @Test func check12EveryVIPPresent() throws {
        var two = v2Expectations
        two.addresses = [vip, vip2]
        let other = VRRPAddress.v4(0x0a00_0066)
        let reason = drop(try datagram(v2Advert(addresses: [vip, other])), two)
        #expect(reason == .addressMissing(vip2))
        #expect(reason?.logLine(instance: "VI_1", vrid: 7) == "(VI_1) ip address associated with VRID 7 not present in MASTER advert: 10.0.0.101")
        // Order does not matter.
        #expect(drop(try datagram(v2Advert(addresses: [vip2, vip])), two) == nil)
    }

    @Test func check13UnicastSourceAndTTL() throws {
        var ours = v2Expectations
        ours.unicastPeers = [UnicastPeer(.v4(0x0a00_0009), minTTL: 250, maxTTL: 255)]
        ours.checkUnicastSource = true
        let toUs = VRRPAddress.v4(0x0a00_0001)
        #expect(drop(try datagram(v2Advert(), destination: toUs), ours) == .sourceNotPeer(source))
        ours.unicastPeers.append(UnicastPeer(source, minTTL: 250, maxTTL: 255))
        #expect(drop(try datagram(v2Advert(), destination: toUs, ttl: 64), ours) == .peerTTLOutOfRange(received: 64, min: 250, max: 255))
        #expect(drop(try datagram(v2Advert(), destination: toUs, ttl: 254), ours) == nil)
    }

    @Test func ipv6CastModeIsCheckedFirstAndHopLimit() throws {
        let src = try addr("fe80::2"), v6vip = try addr("2001:db8::1")
        let ours = ReceiveExpectations(version: .v3, family: .ipv6, advertIntervalMicroseconds: 1_000_000, addresses: [v6vip])
        let a = Advertisement(version: .v3, vrid: 7, priority: 100, maxAdvertInterval: 100, addresses: [v6vip])
        let m = try a.encode(source: src, destination: .multicastGroupV6)
        // Even a too-long packet is counted as the cast mismatch first, as keepalived's dispatcher does.
        #expect(ReceiveValidator.validate(.ipv6(m + [0], source: src, destination: try addr("fe80::1"), hopLimit: 255), expecting: ours)
                == .failure(.castModeMismatch(expectedUnicast: false)))
        #expect(ReceiveValidator.validate(.ipv6(m, source: src, destination: .multicastGroupV6, hopLimit: 1), expecting: ours)
                == .failure(.ttlNot255(received: 1)))
        #expect((try? ReceiveValidator.validate(.ipv6(m, source: src, destination: .multicastGroupV6, hopLimit: nil), expecting: ours).get()) != nil)
    }

    /// A packet wrong in several ways is counted under keepalived's first failing check.
    @Test func orderOfChecks() throws {
        // Wrong TTL and wrong version and wrong interval: TTL (3) wins.
        let v3 = Advertisement(version: .v3, vrid: 7, priority: 100, maxAdvertInterval: 200, addresses: [vip])
        #expect(drop(try datagram(v3, ttl: 1), v2Expectations) == .ttlNot255(received: 1))
        // Wrong password and wrong interval and wrong count: password (5) wins.
        let bad = v2Advert(interval: 3, addresses: [vip, vip2], password: "nope")
        #expect(drop(try datagram(bad), v2Expectations) == .passwordMismatch)
        // Wrong interval and wrong count: interval (6) wins.
        #expect(drop(try datagram(v2Advert(interval: 3, addresses: [vip, vip2])), v2Expectations)
                == .intervalMismatch(mineSeconds: 1, receivedSeconds: 3))
        // Wrong count and bad checksum: count (8) wins.
        var bytes = try datagram(v2Advert(addresses: [vip, vip2]))
        bytes[27] ^= 1
        #expect(drop(bytes, v2Expectations) == .addressCountMismatch(received: 2, expected: 1))
    }

    @Test func everyReasonHasADistinctMetricName() {
        let reasons: [DropReason] = [
            .tooShort(family: .ipv4, length: 0), .malformedIPHeader(.notIPv4(6)), .unknownVRID(1), .authHeaderMismatch,
            .lengthMismatch(received: 0, expected: 1), .ttlNot255(received: 1), .versionMismatch(received: 3, expected: 2),
            .invalidAuthType(9), .authTypeMismatch(received: 0, expected: 1), .passwordMismatch,
            .intervalMismatch(mineSeconds: 1, receivedSeconds: 2), .invalidType(2), .addressCountMismatch(received: 1, expected: 2),
            .ipTotalLengthMismatch(header: 1, received: 2), .badChecksum(version: .v2), .castModeMismatch(expectedUnicast: true),
            .addressMissing(vip), .sourceNotPeer(source), .peerTTLOutOfRange(received: 1, min: 2, max: 3),
        ]
        #expect(Set(reasons.map(\.name)).count == reasons.count)
    }
}
