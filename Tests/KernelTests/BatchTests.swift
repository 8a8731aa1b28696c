import Glibc
import IPVSKit
import Testing

/// Large dumps: run in the exclusive pass (scripts/kernel-suite.sh), because on 6.x kernels a multipart service
/// dump can repeat or skip entries while another namespace changes its table.
@Suite("Kernel: batches and apply (exclusive)", .serialized)
struct ExclusiveKernelBatchTests {
    /// 10,000 operations in one pipelined batch, with deliberate failures whose positions must be reported exactly.
    @Test func tenThousandOperationsWithPerOperationOutcomes() throws {
        let ns = try TestNamespace("batch")
        let ipvs = try ns.client()
        var ops: [IPVSOperation] = []
        var expectedFailures: [Int: Int32] = [:]
        for s in 0..<2000 {
            let key = ServiceKey.address(.tcp, .v4(0x0A00_0000 | UInt32(s + 1)), port: 80)
            ops.append(.addService(Service(key: key, scheduler: "rr")))
            for d in 0..<4 {
                if d == 3 && s % 50 == 0 {
                    // A duplicate of the previous destination: the kernel refuses it with EEXIST.
                    expectedFailures[ops.count] = EEXIST
                    ops.append(.addDestination(Destination(address: .v4(0xC0A8_0000 | UInt32(2)), port: 80), service: key))
                } else if d == 3 && s % 77 == 0 {
                    // A destination for a service that does not exist: ESRCH.
                    expectedFailures[ops.count] = ESRCH
                    ops.append(.addDestination(Destination(address: .v4(0xC0A8_0000 | 9), port: 80), service: .address(.udp, .v4(0x0B00_0000 | UInt32(s)), port: 9)))
                } else {
                    ops.append(.addDestination(Destination(address: .v4(0xC0A8_0000 | UInt32(d + 2)), port: 80), service: key))
                }
            }
        }
        #expect(ops.count == 10_000)
        let results = ipvs.perform(ops)
        #expect(results.count == ops.count)
        var failures = 0
        for (i, r) in results.enumerated() {
            switch (r, expectedFailures[i]) {
            case (.success, nil): break
            case (.failure(.kernel(_, let e)), let want?): #expect(e == want, "operation \(i)"); failures += 1
            default: Issue.record("operation \(i) (\(ops[i])): unexpected \(r)")
            }
        }
        #expect(failures == expectedFailures.count)
        let table = try ipvs.table()
        #expect(table.count == 2000)
        #expect(table.reduce(0) { $0 + $1.destinations.count } == 8000 - expectedFailures.count)
        let saved = try ns.ipvsadm("-Sn")
        #expect(saved.split(separator: "\n").count == 10_000 - expectedFailures.count)
    }

    @Test func applyMakesTheSmallestChangeAndEditsInPlace() throws {
        let ns = try TestNamespace("apply")
        let ipvs = try ns.client()
        let web = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        let dns = ServiceKey.address(.udp, ip("10.0.0.2"), port: 53)
        var desired = [
            ServiceEntry(service: Service(key: web, scheduler: "wrr"), destinations: [
                Destination(address: ip("10.0.1.1"), port: 80, weight: 1),
                Destination(address: ip("10.0.1.2"), port: 80, weight: 1),
            ]),
            ServiceEntry(service: Service(key: dns, scheduler: "rr"), destinations: [
                Destination(address: ip("10.0.1.1"), port: 53, forwarding: .masquerade),
            ]),
        ]
        let first = try ipvs.apply(desired)
        #expect(first.succeeded)
        #expect(first.results.count == 5)
        #expect(try ipvs.apply(desired).results.isEmpty)

        desired[0].destinations[1].weight = 5
        desired[0].destinations.remove(at: 0)
        desired[0].destinations.append(Destination(address: ip("10.0.1.3"), port: 80))
        desired[1].service.scheduler = "wlc"
        let plan = TablePlan(current: try ipvs.table(), desired: desired, prune: false)
        #expect(plan.operations.count == 4)
        #expect(plan.operations.contains(.editService(desired[1].service)))
        #expect(plan.operations.contains(.editDestination(desired[0].destinations[0], service: web)))
        #expect(plan.operations.contains(.deleteDestination(DestinationKey(address: ip("10.0.1.1"), port: 80), service: web)))
        #expect(!plan.operations.contains { if case .deleteService = $0 { true } else { false } })
        let second = try ipvs.apply(desired)
        #expect(second.succeeded)
        #expect(Set(try ns.ipvsadm("-Sn").split(separator: "\n")) == [
            "-A -t 10.0.0.1:80 -s wrr",
            "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -g -w 1",
            "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 5",
            "-A -u 10.0.0.2:53 -s wlc",
            "-a -u 10.0.0.2:53 -r 10.0.1.1:53 -m -w 1",
        ])
        // Services not in the desired table are left alone without prune, deleted with it.
        try ipvs.addService(Service(key: .address(.tcp, ip("10.0.0.9"), port: 22), scheduler: "rr"))
        #expect(try ipvs.apply(desired).results.isEmpty)
        let pruned = try ipvs.apply(desired, prune: true)
        #expect(pruned.results.map(\.operation) == [.deleteService(.address(.tcp, ip("10.0.0.9"), port: 22))])
    }

    @Test func aFailedApplyIsRolledBack() throws {
        let ns = try TestNamespace("rollback")
        let ipvs = try ns.client()
        let web = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        _ = try ipvs.apply([ServiceEntry(service: Service(key: web, scheduler: "rr"), destinations: [
            Destination(address: ip("10.0.1.1"), port: 80, weight: 3),
        ])])
        let before = try ns.ipvsadm("-Sn")
        let bad = [
            ServiceEntry(service: Service(key: web, scheduler: "rr"), destinations: [
                Destination(address: ip("10.0.1.1"), port: 80, weight: 7),
                Destination(address: ip("10.0.1.2"), port: 80),
            ]),
            ServiceEntry(service: Service(key: .address(.tcp, ip("10.0.0.2"), port: 80), scheduler: "no-such-sched"), destinations: []),
        ]
        let report = try ipvs.apply(bad)
        #expect(!report.succeeded)
        #expect(report.rolledBack)
        #expect(report.rollbackFailures.isEmpty)
        #expect(report.failures.first?.error == .kernel(command: .newService, errno: ENOENT))
        #expect(try ns.ipvsadm("-Sn") == before)
    }

    @Test func largeDumpsSurviveManyMultipartMessages() throws {
        let ns = try TestNamespace("dump")
        let ipvs = try ns.client()
        var ops: [IPVSOperation] = []
        let key = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)
        ops.append(.addService(Service(key: key, scheduler: "rr")))
        for i in 0..<3000 {
            ops.append(.addDestination(Destination(address: .v4(0xAC10_0000 | UInt32(i + 1)), port: 8080, forwarding: .masquerade, weight: Int32(i % 100)), service: key))
        }
        #expect(ipvs.perform(ops).allSatisfy { if case .success = $0 { true } else { false } })
        let dests = try ipvs.destinations(of: key)
        #expect(dests.count == 3000)
        #expect(Set(dests.map(\.address)).count == 3000)
        #expect(dests.first { $0.address == .v4(0xAC10_0000 | 150) }?.weight == 49)
    }
}
