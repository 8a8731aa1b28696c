import Testing
import VRRP
@testable import VRRPNetwork

@Suite("Address and route requests")
struct RequestTests {
    let eth0 = NetworkInterface(name: "eth0", index: 2, flags: 0x1043, mac: nil)

    @Test func addressDefaultsAreKeepalivedsVirtualIPAddress() {
        let v4 = InterfaceAddress(VRRPAddress("10.0.0.100")!)
        #expect(v4.prefixLength == 32)
        #expect(v4.flags == 0)
        #expect(v4.preferredLifetime == nil)
        #expect(v4.scope == .global)
        let v6 = InterfaceAddress(VRRPAddress("2001:db8::55")!)
        #expect(v6.prefixLength == 128)
        #expect(v6.flags == AddressFlags.noDAD)
        #expect(v6.preferredLifetime == 0)   // a /128 is deprecated at once: never a source address
        let v6net = InterfaceAddress(VRRPAddress("2001:db8::55")!, prefixLength: 64)
        #expect(v6net.flags == AddressFlags.noDAD)
        #expect(v6net.preferredLifetime == nil)
    }

    @Test func addressDescriptionIsIpSyntax() {
        let a = InterfaceAddress(VRRPAddress("10.0.0.100")!, prefixLength: 24, broadcast: VRRPAddress("10.0.0.255"),
                                 label: "eth0:vip", scope: .link)
        #expect(a.description == "10.0.0.100/24 brd 10.0.0.255 scope link label eth0:vip")
        #expect(InterfaceAddress(VRRPAddress("fe80::1")!).description == "fe80::1/128 nodad")
    }

    @Test(arguments: [
        (InterfaceAddress(VRRPAddress("10.0.0.1")!, prefixLength: 33), "prefix length 33 is longer than 32"),
        (InterfaceAddress(VRRPAddress("::1")!, prefixLength: 129), "prefix length 129 is longer than 128"),
        (InterfaceAddress(VRRPAddress("::1")!, label: "eth0:x"), "IPv6 addresses have no label"),
        (InterfaceAddress(VRRPAddress("::1")!, broadcast: VRRPAddress("::2")), "IPv6 has no broadcast address"),
        (InterfaceAddress(VRRPAddress("10.0.0.1")!, broadcast: VRRPAddress("::2")), "broadcast ::2 is not IPv4"),
        (InterfaceAddress(VRRPAddress("10.0.0.1")!, label: "eth0:averylonglabel"),
         "label eth0:averylonglabel is longer than 15 bytes"),
    ])
    func invalidAddressesAreRefusedWithTheReason(address: InterfaceAddress, reason: String) {
        #expect(address.validate() == reason)
    }

    @Test func validAddressPassesValidation() {
        #expect(InterfaceAddress(VRRPAddress("10.0.0.1")!, prefixLength: 24, label: "eth0:vip").validate() == nil)
    }

    @Test func routeDescriptionAndDefaults() {
        let r = Route(to: VRRPAddress("192.168.5.0")!, prefixLength: 24, via: VRRPAddress("10.0.0.254"), dev: eth0,
                      src: VRRPAddress("10.0.0.100"), metric: 10, table: 100)
        #expect(r.description == "192.168.5.0/24 via 10.0.0.254 dev eth0 src 10.0.0.100 metric 10 table 100 proto 18")
        #expect(r.proto == Route.keepalivedProtocol)
        let host = Route(to: VRRPAddress("192.168.6.1")!, dev: eth0)
        #expect(host.prefixLength == 32)
        #expect(host.table == 254)
        #expect(host.description == "192.168.6.1/32 dev eth0 proto 18")
        #expect(Route(to: VRRPAddress("10.9.0.0")!, prefixLength: 16, type: .blackhole).description
            == "blackhole 10.9.0.0/16 proto 18")
    }

    @Test func invalidRoutesAreRefused() {
        #expect(Route(to: VRRPAddress("192.168.5.0")!, prefixLength: 24).validate() == "a unicast route needs via or dev")
        #expect(Route(to: VRRPAddress("192.168.5.0")!, via: VRRPAddress("::1")).validate()
            == "gateway ::1 is not of the destination's family")
        #expect(Route(to: VRRPAddress("192.168.5.0")!, prefixLength: 40, dev: eth0).validate()
            == "prefix length 40 is longer than 32")
        #expect(Route(to: VRRPAddress("10.9.0.0")!, prefixLength: 16, type: .blackhole).validate() == nil)
    }

    @Test func scopeNames() {
        #expect(AddressScope("host") == .host)
        #expect(AddressScope("link")?.rawValue == 253)
        #expect(AddressScope("site")?.rawValue == 200)
        #expect(AddressScope("nowhere")?.rawValue == 255)
        #expect(AddressScope("global")?.rawValue == 0)
        #expect(AddressScope("bogus") == nil)
    }

    @Test func errorsNameTheOperationAddressAndInterface() {
        let e = NetworkError("add address 10.0.0.100/32 to eth0 (index 2)", .errno(1))
        #expect(e.description == "VRRPNetwork: add address 10.0.0.100/32 to eth0 (index 2): Operation not permitted (errno 1)")
    }
}
