import Testing
@testable import VRRP

/// Adverts sent by keepalived 2.2.7 on this host and captured off a veth (Fixtures/README.md says how): each
/// decodes to the expected model, passes the receive checks, and our encoder rebuilds it byte for byte,
/// IP header included.
@Suite struct CapturedAdvertTests {
    struct Capture: CustomTestStringConvertible, Sendable {
        var name: String
        var hex: String
        var vrid: UInt8
        var version: VRRPVersion
        var priority: UInt8
        var interval: UInt16
        var vips: [String]
        var password: String?
        var destination: String
        var ipID: UInt16
        var testDescription: String { name }
    }

    static let ipv4: [Capture] = [
        Capture(name: "v2 PASS VRID 51", hex: "45c0002c00010000ff70d0840a090001e0000012213364020101f76f0a0900640a0900657365637265743132",
                vrid: 51, version: .v2, priority: 100, interval: 1, vips: ["10.9.0.100", "10.9.0.101"], password: "secret12345",
                destination: "224.0.0.18", ipID: 1),
        Capture(name: "v2 PASS VRID 51 second advert", hex: "45c0002c00020000ff70d0830a090001e0000012213364020101f76f0a0900640a0900657365637265743132",
                vrid: 51, version: .v2, priority: 100, interval: 1, vips: ["10.9.0.100", "10.9.0.101"], password: "secret12345",
                destination: "224.0.0.18", ipID: 2),
        Capture(name: "v2 PASS VRID 51 priority 0 at SIGTERM", hex: "45c0002c00070000ff70d07e0a090001e00000122133000201015b700a0900640a0900657365637265743132",
                vrid: 51, version: .v2, priority: 0, interval: 1, vips: ["10.9.0.100", "10.9.0.101"], password: "secret12345",
                destination: "224.0.0.18", ipID: 7),
        Capture(name: "v2 no auth VRID 52 advert_int 2", hex: "45c0002800010000ff70d0880a090001e00000122134fe010002d6580a0900660000000000000000",
                vrid: 52, version: .v2, priority: 254, interval: 2, vips: ["10.9.0.102"], password: nil,
                destination: "224.0.0.18", ipID: 1),
        Capture(name: "v2 no auth VRID 52 priority 0", hex: "45c0002800030000ff70d0860a090001e0000012213400010002d4590a0900660000000000000000",
                vrid: 52, version: .v2, priority: 0, interval: 2, vips: ["10.9.0.102"], password: nil,
                destination: "224.0.0.18", ipID: 3),
        Capture(name: "v3 IPv4 multicast VRID 53 advert_int 0.5", hex: "45c0002800010000ff70d0880a090001e00000123135960300322ea10a0900670a0900680a090069",
                vrid: 53, version: .v3, priority: 150, interval: 50, vips: ["10.9.0.103", "10.9.0.104", "10.9.0.105"], password: nil,
                destination: "224.0.0.18", ipID: 1),
        Capture(name: "v3 IPv4 multicast VRID 53 priority 0", hex: "45c0002800100000ff70d0790a090001e0000012313500030032c4a10a0900670a0900680a090069",
                vrid: 53, version: .v3, priority: 0, interval: 50, vips: ["10.9.0.103", "10.9.0.104", "10.9.0.105"], password: nil,
                destination: "224.0.0.18", ipID: 16),
        Capture(name: "v3 IPv4 unicast VRID 54", hex: "45c0002000010000ff70a6980a0900010a0900023136c8010064e75f0a09006a",
                vrid: 54, version: .v3, priority: 200, interval: 100, vips: ["10.9.0.106"], password: nil,
                destination: "10.9.0.2", ipID: 1),
        Capture(name: "v3 IPv4 unicast VRID 54 priority 0", hex: "45c0002000070000ff70a6920a0900010a090002313600010064af600a09006a",
                vrid: 54, version: .v3, priority: 0, interval: 100, vips: ["10.9.0.106"], password: nil,
                destination: "10.9.0.2", ipID: 7),
        Capture(name: "v2 VRID 61 first priority 0 on MASTER -> FAULT", hex: "45c0002800040000ff70d0850a090001e0000012213d00010001d4160a0900a10000000000000000",
                vrid: 61, version: .v2, priority: 0, interval: 1, vips: ["10.9.0.161"], password: nil,
                destination: "224.0.0.18", ipID: 4),
    ]

    func model(_ c: Capture) throws -> Advertisement {
        Advertisement(version: c.version, vrid: c.vrid, priority: c.priority, maxAdvertInterval: c.interval,
                      addresses: try c.vips.map { try addr($0) },
                      authType: c.password == nil ? .none : .simplePassword,
                      authData: c.password.map(Advertisement.password) ?? Advertisement.noAuthData)
    }

    @Test(arguments: ipv4) func ipv4DecodesAndReencodesByteForByte(_ c: Capture) throws {
        let captured = try hexBytes(c.hex)
        let source = try addr("10.9.0.1"), destination = try addr(c.destination)
        let header = try IPv4Header.decode(captured)
        #expect(header.tos == 0xc0)
        #expect(header.ttl == 255)
        #expect(header.flagsAndFragmentOffset == 0)  // no DF
        #expect(header.proto == 112)
        #expect(header.identification == c.ipID)
        #expect(header.source == source && header.destination == destination)
        #expect(InternetChecksum.compute(captured.prefix(20)) == 0)

        let message = Array(captured[20...])
        let decoded = try Advertisement.decode(message, family: .ipv4, checksum: .verify(source: source, destination: destination))
        let expected = try model(c)
        #expect(decoded == expected)

        let rebuilt = IPv4Header(source: source, destination: destination, payloadLength: message.count, identification: c.ipID).encode()
            + (try expected.encode(source: source, destination: destination))
        #expect(hexString(rebuilt) == c.hex)

        // keepalived's own checks accept it (the multicast ones as a multicast instance, the unicast one as a
        // unicast instance with 10.9.0.1 as peer).
        let peers = destination.isMulticast ? [] : [UnicastPeer(source)]
        let ours = ReceiveExpectations(version: c.version, family: .ipv4, authType: expected.authType, authData: expected.authData,
                                       advertIntervalMicroseconds: expected.intervalMicroseconds, addresses: expected.addresses,
                                       unicastPeers: peers, checkUnicastSource: !peers.isEmpty)
        let result = ReceiveValidator.validate(.ipv4(captured), expecting: ours)
        #expect(result == .success(ReceivedAdvert(advertisement: expected, source: source, ttl: 255,
                                                  checksumForm: c.version == .v2 ? .message : .pseudoHeader)))
    }

    /// The IPv6 advert (kernel checksum through IPV6_CHECKSUM), VRID 55, `advert_int 0.25`, from the link-local.
    @Test(arguments: [
        ("6c061c40002870fffe80000000000000645ee9fffea760eaff0200000000000000000000000000123137780200197daafe80000000000000000000000000005520010db8000000000000000000000055", UInt8(120)),
        ("6c061c40002870fffe80000000000000645ee9fffea760eaff020000000000000000000000000012313700020019f5aafe80000000000000000000000000005520010db8000000000000000000000055", UInt8(0)),
    ])
    func ipv6DecodesAndReencodesByteForByte(hex: String, priority: UInt8) throws {
        let packet = try hexBytes(hex)
        #expect(packet[1] >> 4 | (packet[0] & 0x0f) << 4 == 0xc0)  // traffic class
        #expect(packet[6] == 112 && packet[7] == 255)                 // next header, hop limit
        let source = try #require(VRRPAddress(bytes: packet[8..<24]))
        let destination = try #require(VRRPAddress(bytes: packet[24..<40]))
        #expect(source == (try addr("fe80::645e:e9ff:fea7:60ea")))
        #expect(destination == .multicastGroupV6)
        let message = Array(packet[40...])
        let expected = Advertisement(version: .v3, vrid: 55, priority: priority, maxAdvertInterval: 25,
                                     addresses: [try addr("fe80::55"), try addr("2001:db8::55")])
        #expect(try Advertisement.decode(message, family: .ipv6, checksum: .verify(source: source, destination: destination)) == expected)
        #expect(hexString(try expected.encode(source: source, destination: destination)) == hexString(message))

        let ours = ReceiveExpectations(version: .v3, family: .ipv6, advertIntervalMicroseconds: 250_000, addresses: expected.addresses)
        let result = ReceiveValidator.validate(.ipv6(message, source: source, destination: destination, hopLimit: 255), expecting: ours)
        #expect(result == .success(ReceivedAdvert(advertisement: expected, source: source, ttl: 255, checksumForm: nil)))
    }

    /// A v3 unicast instance's packets: one per peer, one IP id, each checksum for its own peer; the copy for
    /// 10.9.0.2 is keepalived's.
    @Test func unicastPacketsMatchKeepalived() throws {
        var settings = InstanceSettings(name: "V3UNI", vrid: 54, version: .v3, priority: 200,
                                        virtualAddresses: [try addr("10.9.0.106")], primaryAddress: try addr("10.9.0.1"))
        settings.unicastPeers = [UnicastPeer(try addr("10.9.0.2")), UnicastPeer(try addr("10.9.0.3"))]
        let vi = VRRPInstance(settings: settings)
        var ids = IPv4IdentificationCounter()
        let packets = try vi.packets(for: vi.advertisement(priority: 200), identification: ids.next())
        #expect(packets.map(\.destination) == [try addr("10.9.0.2"), try addr("10.9.0.3")])
        #expect(hexString(packets[0].bytes) == "45c0002000010000ff70a6980a0900010a0900023136c8010064e75f0a09006a")
        let second = try IPv4Header.decode(packets[1].bytes)
        #expect(second.identification == 1)
        #expect(ChecksumForm.detect(Array(packets[1].bytes[20...]), version: .v3, source: try addr("10.9.0.1"),
                                    destination: try addr("10.9.0.3")) == .pseudoHeader)
        #expect(packets[0].bytes[26...27] != packets[1].bytes[26...27])
    }

    /// A packet built once and restamped per advert (the engine's send path) is the packet built afresh with that
    /// identification: keepalived's second advert from its first, and both unicast copies, the checksums intact.
    @Test func restampedPacketsEqualFreshOnes() throws {
        var first = OutgoingPacket(destination: .multicastGroupV4, bytes: try hexBytes(Self.ipv4[0].hex))
        first.restamp(identification: 2)
        #expect(hexString(first.bytes) == Self.ipv4[1].hex)

        var settings = InstanceSettings(name: "V3UNI", vrid: 54, version: .v3, priority: 200,
                                        virtualAddresses: [try addr("10.9.0.106")], primaryAddress: try addr("10.9.0.1"))
        settings.unicastPeers = [UnicastPeer(try addr("10.9.0.2")), UnicastPeer(try addr("10.9.0.3"))]
        let vi = VRRPInstance(settings: settings)
        let advert = vi.advertisement(priority: 200)
        var packets = try vi.packets(for: advert, identification: 1)
        for id: UInt16 in [2, 0x7fff, 0xfffe, 0xffff] {
            for i in packets.indices { packets[i].restamp(identification: id) }
            #expect(packets == (try vi.packets(for: advert, identification: id)))
        }
        // Too short, or not IPv4 (an IPv6 message): left as it was.
        for bytes: [UInt8] in [[], [0x45, 0, 0], [0x31] + [UInt8](repeating: 7, count: 39)] {
            var packet = OutgoingPacket(destination: .multicastGroupV4, bytes: bytes)
            packet.restamp(identification: 9)
            #expect(packet.bytes == bytes)
        }
    }

    /// What our instance sends at each step equals what keepalived sent for the same configuration: the adverts
    /// of a fresh master, and the priority 0 of a shutdown.
    @Test func instanceAdvertsMatchKeepalived() throws {
        var settings = InstanceSettings(name: "V2PASS", vrid: 51, priority: 100, initialState: .master,
                                        virtualAddresses: [try addr("10.9.0.100"), try addr("10.9.0.101")],
                                        primaryAddress: try addr("10.9.0.1"))
        settings.authType = .simplePassword
        settings.authData = Advertisement.password("secret12345")
        var vi = VRRPInstance(settings: settings)
        var clock = FakeClock()
        _ = vi.handle(.start(faulted: false), at: clock.now)
        clock.advance(to: 3_609_375)  // state MASTER outside a sync group: a full master-down interval
        let becoming = vi.handle(.timerFired(.masterDown), at: clock.now)
        let first = try #require(becoming.compactMap { if case .sendAdvert(let a) = $0 { a } else { nil } }.first)
        let source = try addr("10.9.0.1")
        var ids = IPv4IdentificationCounter()
        let message = try first.encode(source: source, destination: .multicastGroupV4)
        let datagram = IPv4Header(source: source, destination: .multicastGroupV4, payloadLength: message.count,
                                  identification: ids.next()).encode() + message
        #expect(hexString(datagram) == Self.ipv4[0].hex)

        let stop = vi.handle(.shutdown, at: clock.now)
        let zero = try #require(stop.compactMap { if case .sendAdvert(let a) = $0 { a } else { nil } }.first)
        #expect(hexString(Array(try zero.encode(source: source, destination: .multicastGroupV4))) == String(Self.ipv4[2].hex.dropFirst(40)))
    }
}
