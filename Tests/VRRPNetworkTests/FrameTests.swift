import Testing
import VRRP
@testable import VRRPNetwork

@Suite("Gratuitous ARP and unsolicited NA frames")
struct FrameTests {
    let mac = MACAddress("02:00:00:00:00:01")!

    @Test func gratuitousARPIsKeepalivedsRequestWithSenderAndTargetTheVIP() {
        let frame = AnnouncementFrame.gratuitousARP(from: mac, for: VRRPAddress("10.0.0.100")!)
        let expected: [UInt8] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // Ethernet source: the interface MAC
            0x08, 0x06,                          // EtherType ARP
            0x00, 0x01,                          // htype Ethernet
            0x08, 0x00,                          // ptype IPv4
            0x06, 0x04,                          // hlen 6, plen 4
            0x00, 0x01,                          // op 1: request
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // sha: the MAC
            10, 0, 0, 100,                       // spa: the VIP
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // tha: broadcast, as keepalived
            10, 0, 0, 100,                       // tpa: the VIP
        ]
        #expect(frame == expected)
        #expect(frame.count == 42)
    }

    @Test(arguments: [(false, UInt8(0x20), UInt16(0xf882)), (true, UInt8(0xa0), UInt16(0x7882))])
    func unsolicitedNAFromTheVIPToAllNodes(router: Bool, flags: UInt8, checksum: UInt16) {
        let vip = VRRPAddress("2001:db8::55")!
        let frame = AnnouncementFrame.unsolicitedNA(from: mac, for: vip, router: router)
        var expected: [UInt8] = [
            0x33, 0x33, 0x00, 0x00, 0x00, 0x01,  // Ethernet destination: ff02::1's
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // Ethernet source
            0x86, 0xdd,                          // EtherType IPv6
            0x60, 0x00, 0x00, 0x00,              // version 6, class 0, flow 0
            0x00, 0x20, 58, 255,                 // payload 32, ICMPv6, hop limit 255
        ]
        expected += vip.bytes                                              // source: the VIP
        expected += [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [1]  // destination: ff02::1
        expected += [136, 0, UInt8(checksum >> 8), UInt8(checksum & 0xff)] // NA, code 0, checksum (Python-computed)
        expected += [flags, 0, 0, 0]                                       // O, and R when routing
        expected += vip.bytes                                              // target
        expected += [2, 1, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]             // target link-layer address option
        #expect(frame == expected)
        #expect(frame.count == 86)
        // The ICMPv6 checksum verifies over the pseudo-header.
        var sum = InternetChecksum()
        sum.add(frame[22..<54])
        sum.add([0, 0, 0, 32, 0, 0, 0, 58])
        sum.add(frame[54...])
        #expect(sum.value == 0)
    }

    @Test func macAddressParsingAndText() {
        #expect(MACAddress("F2:03:47:83:92:e8")?.description == "f2:03:47:83:92:e8")
        #expect(MACAddress("f2:03:47:83:92") == nil)
        #expect(MACAddress("f2:03:47:83:92:xx") == nil)
        #expect(MACAddress(bytes: [1, 2, 3]) == nil)
    }
}
