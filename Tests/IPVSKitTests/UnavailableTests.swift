import Foundation
import IPVSKit
import Testing

@Suite("Kernels without IPVS")
struct UnavailableTests {
    /// On a kernel without IPVS (this development machine, and CI's host) the client must say so and say how to
    /// fix it. Where the host kernel does have IPVS the kernel suite covers the client instead.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/proc/net/ip_vs")))
    func clientSaysIPVSIsMissingAndHowToLoadIt() {
        do throws(IPVSError) {
            _ = try IPVSClient()
            Issue.record("a client opened on a kernel without IPVS")
        } catch {
            guard case .unavailable = error else {
                Issue.record("expected .unavailable, got \(error)")
                return
            }
            #expect(error.description.contains("IPVS is not available in this kernel"))
            #expect(error.description.contains("modprobe ip_vs"))
            #expect(error.ipvsadmMessage.contains("Are you sure that IP Virtual Server is built in the kernel or as module?"))
        }
    }
}
