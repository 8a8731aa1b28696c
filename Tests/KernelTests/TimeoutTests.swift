@testable import IPVSKit
import Testing

@Suite("Kernel: lost replies")
struct KernelTimeoutTests {
    @Test func aLostReplyTimesOutAndTheClientStaysUsable() throws {
        let ns = try TestNamespace("tmo")
        let ipvs = try IPVSClient(networkNamespace: ns.name, timeout: .milliseconds(300))
        let key = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        let start = ContinuousClock.now
        #expect(throws: IPVSError.timeout(command: .newService)) {
            try ipvs.sendUnacknowledgedAndWait(.addService(Service(key: key, scheduler: "rr")))
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        // The unacknowledged request still ran; the next call works on the same socket.
        #expect(try ipvs.services().map(\.key) == [key])
        try ipvs.addDestination(Destination(address: ip("10.0.0.2"), port: 80), to: key)
        #expect(try ipvs.destinations(of: key).count == 1)
    }
}
