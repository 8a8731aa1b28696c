import Glibc
import Testing
@testable import IPVSKit

/// Which refusals wait for the kernel's answer about the service, what they stand for, and the request sent in
/// their place (the kernel side is in KernelTests' LvsctlErrorOrderTests).
@Suite("Refusals in the kernel's order")
struct RefusalOrderTests {
    static let web = ServiceKey.address(.tcp, ip("10.99.0.1"), port: 80)

    /// Destination settings the kernel checks only once it has found the service.
    static let afterLookup: [(IPVSOperation, errno: Int32)] = [
        (.addDestination(Destination(address: ip("10.1.1.1"), port: 80, upperThreshold: 5, lowerThreshold: 10), service: web), ERANGE),
        (.editDestination(Destination(address: ip("10.1.1.1"), port: 80, upperThreshold: 5, lowerThreshold: 10), service: web), ERANGE),
        (.addDestination(Destination(address: ip("10.1.1.1"), port: 80, weight: -1), service: web), ERANGE),
        (.addDestination(Destination(address: ip("2001:db8::1"), port: 80, forwarding: .masquerade), service: web), EINVAL),
        (.editDestination(Destination(address: ip("10.1.1.1"), port: 80, forwarding: .tunnel, tunnel: TunnelSettings(type: .gue)), service: web), EINVAL),
    ]

    @Test func destinationSettingsWaitForTheService() throws {
        for (op, errno) in Self.afterLookup {
            #expect(throws: IPVSError.self, "\(op)") { try op.validate() }
            #expect(throws: Never.self, "\(op)") { try op.validateRequest() }
            #expect(throws: IPVSError.self, "\(op)") { try op.validateDestinationSettings() }
            #expect(op.serviceOfDestination == Self.web)
            #expect(op.kernelErrnoForRefusal == errno, "\(op)")
        }
    }

    /// Refusals of what the kernel rejects (or misreads) while reading the request are not deferred.
    @Test func requestChecksComeFirst() {
        let early: [IPVSOperation] = [
            .addDestination(Destination(address: ip("10.1.1.1"), port: 80, upperThreshold: 5, lowerThreshold: 10), service: .firewallMark(0, family: .inet)),
            .addService(Service(key: Self.web, scheduler: "a-scheduler-name-too-long")),
            .startDaemon(SyncDaemon(state: .master, interface: "lo", group: ip("10.0.0.1"))),
        ]
        for op in early {
            #expect(throws: IPVSError.self, "\(op)") { try op.validateRequest() }
        }
    }

    /// Valid thresholds, equal ones, and a lower threshold without an upper one (which the kernel refuses itself,
    /// in its own order) are sent.
    @Test func acceptedThresholds() throws {
        for (u, l) in [(UInt32(10), UInt32(5)), (5, 5), (0, 0), (0, 10)] {
            try IPVSOperation.addDestination(Destination(address: ip("10.1.1.1"), port: 80, upperThreshold: u, lowerThreshold: l), service: Self.web).validate()
        }
    }

    /// The request sent in a refused operation's place: an acknowledged GET_SERVICE carrying the service's
    /// identity, the same nest a delete of that service carries.
    @Test func serviceProbeIsAnAcknowledgedGetService() throws {
        var probe = NetlinkWriter()
        IPVSOperation.encodeServiceProbe(Self.web, into: &probe, family: 42, sequence: 9, port: 7)
        var delete = NetlinkWriter()
        IPVSOperation.deleteService(Self.web).encode(into: &delete, family: 42, sequence: 9, port: 7)
        let p = probe.bytes, d = delete.bytes
        #expect(p.count == d.count)
        #expect(UInt16(p[4]) | UInt16(p[5]) << 8 == 42)
        #expect(UInt16(p[6]) | UInt16(p[7]) << 8 == NL.request | NL.ack)
        #expect(p[16] == IPVSCommand.getService.rawValue)
        #expect(d[16] == IPVSCommand.deleteService.rawValue)
        #expect(Array(p.dropFirst(17)) == Array(d.dropFirst(17)))
    }
}
