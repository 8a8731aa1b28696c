import IPVSAdm
import IPVSKit
import Testing

struct ProcIPVSTests {
    static let text = """
        IP Virtual Server version 1.2.1 (size=4096)
        Prot LocalAddress:Port Scheduler Flags
          -> RemoteAddress:Port Forward Weight ActiveConn InActConn
        TCP  0A000001:0050 rr persistent 360 FFFFFFFF
          -> C0A80102:0050      Route   1      3          12        
          -> C0A80103:1F90      Masq    2147483647 0          0         
        UDP  [2001:0db8:0000:0000:0000:0000:0000:0001]:0035 sh 
          -> [2001:0db8:0000:0000:0000:0000:0000:0009]:0035      Tunnel  1      0          0         
        FWM  00000007 wlc 
        FWM  00000009 wlc 
          -> 0A000002:0000      Local   0      0          0         
        FWM  00000009 rr 

        """

    @Test func parsesServicesAndDestinations() {
        let t = ProcIPVS.parse(Self.text)
        let web = t[.address(6, .v4(0x0A00_0001), 80)]
        #expect(web?.count == 2)
        #expect(web?.first == Destination(address: .v4(0xC0A8_0102), port: 80, forwarding: .route, weight: 1,
                                          activeConnections: 3, inactiveConnections: 12))
        #expect(web?.last?.weight == Int32.max)
        #expect(web?.last?.forwarding == .masquerade)
        let dns = t[.address(17, .v6(0x2001_0db8_0000_0000, 1), 53)]
        #expect(dns?.first?.address == .v6(0x2001_0db8_0000_0000, 9))
        #expect(dns?.first?.forwarding == .tunnel)
        #expect(t[.firewallMark(7)] == [])
        // Mark 9 appears twice (IPv4 and IPv6 services): ambiguous, left to netlink.
        #expect(t[.firewallMark(9)] == nil)
    }
}
