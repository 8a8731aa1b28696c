import Testing
import VRRP
@testable import VRRPNetwork

/// Notifications captured from a real kernel (6.18, `socket(AF_NETLINK)` bound to RTMGRP_LINK | IPV4_IFADDR |
/// IPV6_IFADDR in a namespace with a veth pair d0/d1) while running the `ip` commands named in each test.
@Suite("rtnetlink notifications")
struct EventDecoderTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// `ip addr add 10.0.0.100/24 brd 10.0.0.255 dev d0 label d0:vip`
    static let ipv4Added = bytes("5800000014000000e569106b810900000218800003000000080001000a000064080002000a000064080004000a0000ff0b00030064303a7669700000080008008000000014000600ffffffffffffffff52da020052da0200")
    /// `ip addr del 10.0.0.100/24 dev d0`
    static let ipv4Deleted = bytes("5800000015000000e669106b830900000218800003000000080001000a000064080002000a000064080004000a0000ff0b00030064303a7669700000080008008000000014000600ffffffffffffffff52da020052da0200")
    /// `ip addr add 2001:db8::55/128 dev d0 nodad preferred_lft 0`
    static let ipv6Added = bytes("480000001400000000000000000000000a80a200030000001400010020010db80000000000000000000000551400060000000000ffffffffe2da0200e2da020008000800a2000000")

    @Test func ipv4AddressAddedWithLabelAndBroadcast() throws {
        let events = NetlinkEventDecoder.decode(Self.ipv4Added)
        #expect(events.count == 1)
        guard case .addressAdded(let a) = try #require(events.first) else {
            Issue.record("expected an added address, got \(events)")
            return
        }
        #expect(a.address == VRRPAddress("10.0.0.100"))
        #expect(a.prefixLength == 24)
        #expect(a.broadcast == VRRPAddress("10.0.0.255"))
        #expect(a.label == "d0:vip")
        #expect(a.scope == .global)
        #expect(a.interfaceIndex == 3)
        #expect(a.flags == AddressFlags.permanent)
        #expect(a.preferredLifetime == nil)
    }

    @Test func ipv4AddressDeleted() throws {
        let events = NetlinkEventDecoder.decode(Self.ipv4Deleted)
        guard case .addressRemoved(let a) = try #require(events.first) else {
            Issue.record("expected a removed address, got \(events)")
            return
        }
        #expect(a.address == VRRPAddress("10.0.0.100"))
        #expect(a.label == "d0:vip")
        #expect(a.interfaceIndex == 3)
    }

    @Test func ipv6AddressAddedNoDADAndDeprecated() throws {
        let events = NetlinkEventDecoder.decode(Self.ipv6Added)
        guard case .addressAdded(let a) = try #require(events.first) else {
            Issue.record("expected an added address, got \(events)")
            return
        }
        #expect(a.address == VRRPAddress("2001:db8::55"))
        #expect(a.prefixLength == 128)
        #expect(a.flags == AddressFlags.noDAD | AddressFlags.deprecated | AddressFlags.permanent)  // IFA_FLAGS 0xa2
        #expect(a.preferredLifetime == 0)
        #expect(a.label == nil)
        #expect(a.interfaceIndex == 3)
    }

    @Test func severalMessagesInOneDatagram() {
        let events = NetlinkEventDecoder.decode(Self.ipv4Added + Self.ipv6Added + Self.ipv4Deleted)
        #expect(events.map(Self.kind) == ["add 10.0.0.100", "add 2001:db8::55", "del 10.0.0.100"])
    }

    @Test func linkMessage() throws {
        // ifinfomsg of d0 (index 3) after `ip link set d0 up` once its peer is up: UP, BROADCAST, RUNNING,
        // MULTICAST, LOWER_UP; then IFLA_IFNAME "d0" and IFLA_ADDRESS. Trimmed to those attributes (nlmsg_len
        // patched) from the captured 1492-byte message.
        var message = Self.bytes("00000000100000000000000000000000000001000300000043100100000000000700030064300000")
        message += Self.bytes("0a000100f203478392e80000")
        message[0] = UInt8(message.count)
        let events = NetlinkEventDecoder.decode(message)
        guard case .linkChanged(let link) = try #require(events.first) else {
            Issue.record("expected a link change, got \(events)")
            return
        }
        #expect(link.name == "d0")
        #expect(link.index == 3)
        #expect(link.isUp && link.isRunning && !link.isNoARP)
        #expect(link.mac == MACAddress("f2:03:47:83:92:e8"))
    }

    @Test func truncatedAndForeignMessagesAreSkipped() {
        #expect(NetlinkEventDecoder.decode(Array(Self.ipv4Added.prefix(40))).isEmpty)
        var route = Self.ipv4Added
        route[4] = 24   // RTM_NEWROUTE
        #expect(NetlinkEventDecoder.decode(route).isEmpty)
        #expect(NetlinkEventDecoder.decode([]).isEmpty)
    }

    static func kind(_ e: NetlinkEvent) -> String {
        switch e {
        case .addressAdded(let a): "add \(a.address)"
        case .addressRemoved(let a): "del \(a.address)"
        case .linkChanged(let l): "link \(l.name)"
        case .linkRemoved(let l): "unlink \(l.name)"
        case .eventsLost: "lost"
        }
    }
}
