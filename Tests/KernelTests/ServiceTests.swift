import IPVSKit
import Testing

@Suite("Kernel: services")
struct KernelServiceTests {
    @Test func addListAndCrossCheckWithIpvsadm() throws {
        let ns = try TestNamespace("svc")
        let ipvs = try ns.client()
        let key = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        try ipvs.addService(Service(key: key, scheduler: "rr"))
        let services = try ipvs.services()
        #expect(services.count == 1)
        #expect(services.first?.key == key)
        #expect(services.first?.scheduler == "rr")
        let saved = try ns.ipvsadm("-Sn")
        #expect(saved == "-A -t 10.0.0.1:80 -s rr\n")
    }

    @Test func info() throws {
        let ns = try TestNamespace("info")
        let info = try ns.client().info()
        #expect(info.version == "1.2.1")
        #expect(info.connectionTableSize == 4096)
    }
}
