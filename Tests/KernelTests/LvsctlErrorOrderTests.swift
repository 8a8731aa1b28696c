import Foundation
import Glibc
import IPVSKit
import Testing

/// A client-side check never changes which error the user sees: for every order of mistakes in a destination
/// command (service missing, destination missing or existing, lower threshold above upper, several at once) lvsctl
/// prints what ipvsadm prints, because the kernel answers the service lookup before it checks thresholds, and the
/// thresholds before the destination's existence.
@Suite("Kernel: lvsctl error order")
struct LvsctlErrorOrderTests {
    /// The table each command starts from: one service with one destination, and a firewall-mark service.
    static let setup = """
        -A -t 10.99.0.1:80 -s rr
        -a -t 10.99.0.1:80 -r 10.1.1.1:80 -m
        -A -f 7 -s wlc

        """

    /// Every combination of service (present, missing), destination (existing, missing) and thresholds (none,
    /// valid, lower above upper, a lower one alone, equal), for `-a` and `-e`.
    static var commands: [String] {
        let services = ["-t 10.99.0.1:80", "-t 10.99.0.2:80"]
        let destinations = ["10.1.1.1:80", "10.1.1.2:80"]
        let thresholds = ["", " -x 10 -y 5", " -x 5 -y 10", " -y 10", " -x 5 -y 5"]
        var out: [String] = []
        for command in ["-a", "-e"] {
            for s in services {
                for d in destinations {
                    for t in thresholds { out.append("\(command) \(s) -r \(d) -m\(t)") }
                }
            }
        }
        return out
    }

    @Test func destinationCommandsAnswerAsIpvsadm() throws {
        let ns = try TestNamespace("eord")
        let diffs = try Differential(ns: ns).compareEach(Self.commands, from: Self.setup)
        #expect(diffs.isEmpty, "\(diffs.joined(separator: "\n"))")
    }

    /// The same mistakes in one `-R` batch, where a service added by an earlier line exists for a later one.
    @Test func restoreReportsEachLineAsIpvsadmDoes() throws {
        let ns = try TestNamespace("eordr")
        let input = """
            -a -t 10.99.0.2:80 -r 10.1.1.1:80 -m -x 5 -y 10
            -A -t 10.99.0.2:80 -s rr
            -a -t 10.99.0.2:80 -r 10.1.1.1:80 -m -x 5 -y 10
            -a -t 10.99.0.2:80 -r 10.1.1.1:80 -m -x 10 -y 5
            -a -t 10.99.0.2:80 -r 10.1.1.1:80 -m -x 5 -y 10
            -e -t 10.99.0.2:80 -r 10.1.1.9:80 -m -x 5 -y 10
            -e -t 10.99.0.3:80 -r 10.1.1.9:80 -m -x 5 -y 10
            -D -t 10.99.0.2:80
            -e -t 10.99.0.2:80 -r 10.1.1.1:80 -m -x 5 -y 10
            -a -f 8 -r 10.1.1.1 -m -x 1 -y 2

            """
        let diffs = try Differential(ns: ns).compareEach(["-R"], from: Self.setup, stdin: input)
        #expect(diffs.isEmpty, "\(diffs.joined(separator: "\n"))")
    }

    /// IPVSKit itself: the refusal is reported only for an existing service; a missing one is the kernel's ESRCH,
    /// also when the same batch adds or deletes the service before the refused operation.
    @Test func clientReportsTheServiceFirst() throws {
        let ns = try TestNamespace("eordk")
        let ipvs = try ns.client()
        let web = ServiceKey.address(.tcp, ip("10.99.0.1"), port: 80)
        let bad = Destination(address: ip("10.1.1.1"), port: 80, upperThreshold: 5, lowerThreshold: 10)
        let results = ipvs.perform([
            .addDestination(bad, service: web),
            .editDestination(bad, service: web),
            .addService(Service(key: web, scheduler: "rr")),
            .addDestination(bad, service: web),
            .editDestination(bad, service: web),
            .deleteService(web),
            .addDestination(bad, service: web),
        ])
        let expected: [IPVSError?] = [
            .kernel(command: .newDestination, errno: ESRCH), .kernel(command: .setDestination, errno: ESRCH), nil,
            .invalidArgument("lower threshold 10 exceeds upper threshold 5 for 10.1.1.1:80"),
            .invalidArgument("lower threshold 10 exceeds upper threshold 5 for 10.1.1.1:80"),
            nil, .kernel(command: .newDestination, errno: ESRCH),
        ]
        #expect(results.count == expected.count)
        for (i, (result, want)) in zip(results, expected).enumerated() {
            switch result {
            case .success: #expect(want == nil, "operation \(i): succeeded, expected \(String(describing: want))")
            case .failure(let e): #expect(e == want, "operation \(i): \(e)")
            }
        }
        // Nothing refused reached the table.
        #expect(try ns.ipvsadm("-Sn") == "")
    }
}
