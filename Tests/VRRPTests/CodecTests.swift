import Testing
@testable import VRRP

/// Golden bytes computed by hand from the RFC layouts (reference §1.2-1.4), and garbage.
@Suite struct CodecTests {
    @Test func v2NoAuthByHand() throws {
        // Words summed: 2101 + 6401 + 0001 + 0000 + c0a8 + 0101 + 0 (auth) = 0x146ac -> 0x46ad; ~ = 0xb952.
        let expected = try hexBytes("""
            21 01 64 01   00 01 b9 52   c0 a8 01 01   00 00 00 00 00 00 00 00
            """)  // v2/type 1, VRID 1, prio 100, 1 addr | auth 0, 1 s, checksum | VIP | 8 bytes auth data
        let model = Advertisement(version: .v2, vrid: 1, priority: 100, maxAdvertInterval: 1,
                                  addresses: [try addr("192.168.1.1")])
        let encoded = try model.encode(source: try addr("192.168.1.10"), destination: .multicastGroupV4)
        #expect(hexString(encoded) == hexString(expected))
        let decoded = try Advertisement.decode(expected, family: .ipv4,
                                               checksum: .verify(source: try addr("192.168.1.10"), destination: .multicastGroupV4))
        #expect(decoded == model)
        #expect(decoded.intervalMicroseconds == 1_000_000)
    }

    @Test func v2PasswordIsEightZeroPaddedBytes() throws {
        #expect(Advertisement.password("secret12345") == Array("secret12".utf8))
        #expect(Advertisement.password("ab") == [0x61, 0x62, 0, 0, 0, 0, 0, 0])
        let model = Advertisement(version: .v2, vrid: 1, priority: 100, maxAdvertInterval: 1,
                                  addresses: [try addr("192.168.1.1")], authType: .simplePassword,
                                  authData: Advertisement.password("ab"))
        let bytes = try model.encode(source: try addr("192.168.1.10"), destination: .multicastGroupV4)
        #expect(bytes.count == 20)
        #expect(bytes[4] == 1)
        #expect(Array(bytes[12...]) == [0x61, 0x62, 0, 0, 0, 0, 0, 0])
        #expect(InternetChecksum.compute(bytes) == 0)
    }

    @Test func v3IPv4WithPseudoHeaderByHand() throws {
        // Pseudo-header c0a8 010a e000 0012 0070 000c + message 3101 6401 0064 0000 c0a8 0101 -> 0x06ae.
        let expected = try hexBytes("31 01 64 01  00 64 06 ae  c0 a8 01 01")
        let model = Advertisement(version: .v3, vrid: 1, priority: 100, maxAdvertInterval: 100,
                                  addresses: [try addr("192.168.1.1")])
        let source = try addr("192.168.1.10")
        let encoded = try model.encode(source: source, destination: .multicastGroupV4)
        #expect(hexString(encoded) == hexString(expected))
        // RFC 9568 form (message only): 0xa8ef.
        let rfc9568 = try model.encode(source: source, destination: .multicastGroupV4, form: .message)
        #expect(rfc9568[6] == 0xa8 && rfc9568[7] == 0xef)
        #expect(ChecksumForm.detect(expected, version: .v3, source: source, destination: .multicastGroupV4) == .pseudoHeader)
        #expect(ChecksumForm.detect(rfc9568, version: .v3, source: source, destination: .multicastGroupV4) == .message)
        let decoded = try Advertisement.decode(rfc9568, family: .ipv4, checksum: .verify(source: source, destination: .multicastGroupV4))
        #expect(decoded.intervalMicroseconds == 1_000_000)
    }

    @Test func v3IPv4OldUnicastChecksumIsRecognised() throws {
        let model = Advertisement(version: .v3, vrid: 9, priority: 50, maxAdvertInterval: 100, addresses: [try addr("10.0.0.9")])
        let source = try addr("10.0.0.1"), peer = try addr("10.0.0.2")
        let old = try model.encode(source: source, destination: peer, form: .pseudoHeaderMulticastGroup)
        #expect(ChecksumForm.detect(old, version: .v3, source: source, destination: peer) == .pseudoHeaderMulticastGroup)
        let current = try model.encode(source: source, destination: peer)
        #expect(ChecksumForm.detect(current, version: .v3, source: source, destination: peer) == .pseudoHeader)
        #expect(old != current)
    }

    @Test func v3IPv6ByHand() throws {
        // RFC 8200 pseudo-header: fe80::1, ff02::12, length 24, next header 112.
        let expected = try hexBytes("31 01 64 01  00 64 6c f9  fe80 0000 0000 0000 0000 0000 0000 0100")
        let model = Advertisement(version: .v3, vrid: 1, priority: 100, maxAdvertInterval: 100, addresses: [try addr("fe80::100")])
        let encoded = try model.encode(source: try addr("fe80::1"), destination: .multicastGroupV6)
        #expect(hexString(encoded) == hexString(expected))
        let zeroed = try model.encodeUnchecksummed()
        #expect(zeroed[6] == 0 && zeroed[7] == 0)
        #expect(try Advertisement.decode(expected, family: .ipv6) == model)
    }

    @Test func v3IntervalKeepsTwelveBitsAndIgnoresReservedBits() throws {
        var bytes = try Advertisement(version: .v3, vrid: 2, priority: 1, maxAdvertInterval: 4095, addresses: [try addr("10.0.0.2")])
            .encodeUnchecksummed()
        #expect(bytes[4] == 0x0f && bytes[5] == 0xff)
        bytes[4] |= 0xf0
        let decoded = try Advertisement.decode(bytes, family: .ipv4)
        #expect(decoded.maxAdvertInterval == 4095)
        #expect(decoded.intervalMicroseconds == 40_950_000)
    }

    @Test func ipv4HeaderAsKeepalivedBuildsIt() throws {
        let header = IPv4Header(source: try addr("192.168.1.10"), destination: .multicastGroupV4, payloadLength: 12, identification: 1)
        // 45 c0 | total 32 | id 1 | no DF | TTL 255, proto 112 | checksum 0x18e8 (by hand) | src | dst
        #expect(hexString(header.encode()) == "45c0002000010000ff7018e8c0a8010ae0000012")
        let back = try IPv4Header.decode(header.encode())
        #expect(back == header)
        var appended: [UInt8] = [0xaa]
        header.append(to: &appended)
        #expect(appended == [0xaa] + header.encode())
        // The checksum summed as words equals the one over the bytes, for headers of every shape.
        for (i, (ttl, tos)) in [(UInt8(255), UInt8(0xc0)), (1, 0), (64, 0xff), (128, 0x10)].enumerated() {
            let h = IPv4Header(source: .v4(0xffff_ff00 &+ UInt32(i)), destination: .v4(0x0000_00ff << UInt32(8 * i)),
                               payloadLength: 12 + 977 * i, identification: UInt16(65535 - i), ttl: ttl, tos: tos)
            var zeroed = h.encode()
            zeroed[10] = 0
            zeroed[11] = 0
            #expect(h.checksum == InternetChecksum.compute(zeroed))
            #expect(InternetChecksum.compute(h.encode()) == 0)
        }
        var ids = IPv4IdentificationCounter(last: 65534)
        #expect(ids.next() == 65535)
        #expect(ids.next() == 1)
        #expect(ids.next() == 2)
    }

    @Test func encodeRefusesWhatCannotBeSent() throws {
        let v4 = try addr("10.0.0.1"), v6 = try addr("fe80::1")
        #expect(throws: PacketError.ipv6InVersion2) {
            try Advertisement(version: .v2, vrid: 1, priority: 1, maxAdvertInterval: 1, addresses: [v6]).encodeUnchecksummed()
        }
        #expect(throws: PacketError.addressFamilyMismatch) {
            try Advertisement(version: .v3, vrid: 1, priority: 1, maxAdvertInterval: 1, addresses: [v4, v6]).encodeUnchecksummed()
        }
        #expect(throws: PacketError.intervalOutOfRange(4096)) {
            try Advertisement(version: .v3, vrid: 1, priority: 1, maxAdvertInterval: 4096, addresses: [v4]).encodeUnchecksummed()
        }
        #expect(throws: PacketError.intervalOutOfRange(256)) {
            try Advertisement(version: .v2, vrid: 1, priority: 1, maxAdvertInterval: 256, addresses: [v4]).encodeUnchecksummed()
        }
        #expect(throws: PacketError.tooManyAddresses(256)) {
            try Advertisement(version: .v3, vrid: 1, priority: 1, maxAdvertInterval: 1,
                              addresses: Array(repeating: v4, count: 256)).encodeUnchecksummed()
        }
        #expect(throws: PacketError.badAuthDataLength(3)) {
            try Advertisement(version: .v2, vrid: 1, priority: 1, maxAdvertInterval: 1, addresses: [v4], authData: [1, 2, 3])
                .encodeUnchecksummed()
        }
    }

    // MARK: - Garbage

    static let goodV2 = "21016401 0001b952 c0a80101 0000000000000000"

    @Test(arguments: 0...7) func truncatedHeader(length: Int) throws {
        let bytes = Array(try hexBytes(Self.goodV2).prefix(length))
        #expect(throws: PacketError.truncated(length: length)) { try Advertisement.decode(bytes, family: .ipv4) }
    }

    @Test func wrongVersionAndType() throws {
        var bytes = try hexBytes(Self.goodV2)
        bytes[0] = 0x41
        #expect(throws: PacketError.wrongVersion(4)) { try Advertisement.decode(bytes, family: .ipv4) }
        bytes[0] = 0x22
        #expect(throws: PacketError.wrongType(2)) { try Advertisement.decode(bytes, family: .ipv4) }
    }

    @Test func lengthAndCountMismatch() throws {
        let bytes = try hexBytes(Self.goodV2)
        #expect(throws: PacketError.lengthMismatch(expected: 20, actual: 19, addressCount: 1)) {
            try Advertisement.decode(Array(bytes.dropLast()), family: .ipv4)
        }
        #expect(throws: PacketError.lengthMismatch(expected: 20, actual: 21, addressCount: 1)) {
            try Advertisement.decode(bytes + [0], family: .ipv4)
        }
        var twoAddresses = bytes
        twoAddresses[3] = 2
        #expect(throws: PacketError.lengthMismatch(expected: 24, actual: 20, addressCount: 2)) {
            try Advertisement.decode(twoAddresses, family: .ipv4)
        }
        #expect(throws: PacketError.ipv6InVersion2) { try Advertisement.decode(bytes, family: .ipv6) }
    }

    @Test func badChecksum() throws {
        var bytes = try hexBytes(Self.goodV2)
        bytes[2] = 101  // priority changed, checksum not
        let check = ChecksumCheck.verify(source: try addr("192.168.1.10"), destination: .multicastGroupV4)
        #expect(throws: PacketError.badChecksum(received: 0xb952)) { try Advertisement.decode(bytes, family: .ipv4, checksum: check) }
        // Without verification the same bytes decode.
        #expect(try Advertisement.decode(bytes, family: .ipv4).priority == 101)
    }

    @Test func ipv4HeaderGarbage() throws {
        #expect(throws: PacketError.ipv4HeaderTruncated(length: 19)) { try IPv4Header.decode([UInt8](repeating: 0x45, count: 19)) }
        var h = IPv4Header(source: try addr("10.0.0.1"), destination: .multicastGroupV4, payloadLength: 20, identification: 1).encode()
        h[0] = 0x65
        #expect(throws: PacketError.notIPv4(6)) { try IPv4Header.decode(h) }
        h[0] = 0x44
        #expect(throws: PacketError.badIPv4HeaderLength(16)) { try IPv4Header.decode(h) }
        h[0] = 0x46  // 24-byte header, only 20 given
        #expect(throws: PacketError.ipv4HeaderTruncated(length: 20)) { try IPv4Header.decode(h) }
    }

    /// Every prefix and every single-byte corruption of a valid packet decodes or throws; nothing traps.
    @Test func fuzzedInputNeverTraps() throws {
        let good = try hexBytes(Self.goodV2)
        let check = ChecksumCheck.verify(source: try addr("192.168.1.10"), destination: .multicastGroupV4)
        var accepted = 0
        for cut in 0...good.count {
            if (try? Advertisement.decode(Array(good.prefix(cut)), family: .ipv4, checksum: check)) != nil { accepted += 1 }
        }
        for i in good.indices {
            for v in [UInt8(0), 0xff, 0x31, 0x7f] {
                var b = good
                b[i] = v
                _ = try? Advertisement.decode(b, family: .ipv4, checksum: check)
                _ = try? Advertisement.decode(b, family: .ipv6, checksum: .skip)
            }
        }
        #expect(accepted == 1)
    }

    @Test func addressText() throws {
        #expect(try addr("10.0.0.1").description == "10.0.0.1")
        #expect(try addr("2001:db8::55").description == "2001:db8::55")
        #expect(try addr("fe80:0:0:0:645e:e9ff:fea7:60ea").description == "fe80::645e:e9ff:fea7:60ea")
        #expect(try addr("ff02::12") == .multicastGroupV6)
        #expect(VRRPAddress("10.0.0") == nil)
        #expect(VRRPAddress("1::2::3") == nil)
        #expect(VRRPAddress("10.0.0.256") == nil)
        #expect(try addr("10.0.0.2") > addr("10.0.0.1"))
        #expect(try addr("10.0.1.1") > addr("10.0.0.200"))
    }
}
