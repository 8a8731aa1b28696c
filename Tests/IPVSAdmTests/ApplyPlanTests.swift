import IPVSAdm
import IPVSKit
import Testing

struct ApplyPlanTests {
    let parser = CommandLineParser(resolver: NumericResolver())
    let web = ServiceKey.address(.tcp, .v4(0x0A00_0001), port: 80)

    func table(_ text: String) throws -> [ServiceEntry] { try ApplyPlan.desiredTable(from: text, parser: parser) }

    @Test func weightChangeIsAnEdit() throws {
        let current = try table("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n")
        let desired = try table("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 5\n")
        let plan = ApplyPlan(desired: desired, current: current, prune: false)
        #expect(plan.operations == [.editDestination(Destination(address: .v4(0x0A00_0002), port: 80, forwarding: .masquerade, weight: 5), service: web)])
        #expect(plan.commandLines == "-e -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 5\n")
    }

    @Test func nothingToDoForTheSameTable() throws {
        let t = try table("# comment\n\n-A -t 10.0.0.1:80 -s rr -p 300\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n-A -f -1 -s wlc\n")
        #expect(ApplyPlan(desired: t, current: t, prune: true).operations.isEmpty)
        #expect(t.last?.service.key == .firewallMark(0xFFFF_FFFF, family: .inet))
    }

    @Test func addsDeletesAndPrunes() throws {
        let current = try table("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m\n-A -u 10.0.0.9:53 -s rr\n")
        let desired = try table("-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m\n")
        let keep = ApplyPlan(desired: desired, current: current, prune: false)
        #expect(keep.commandLines == """
            -E -t 10.0.0.1:80 -s wlc
            -d -t 10.0.0.1:80 -r 10.0.0.2:80
            -a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1\n
            """)
        let pruned = ApplyPlan(desired: desired, current: current, prune: true)
        #expect(pruned.operations.first == .deleteService(.address(.udp, .v4(0x0A00_0009), port: 53)))
        #expect(pruned.commandLines.hasPrefix("-D -u 10.0.0.9:53\n"))
    }

    @Test func fileErrorsNameTheLine() {
        #expect(throws: AdmFailure(message: "line 2: real server for undefined service TCP 10.0.0.2:80\n", status: 2, endsRestore: true)) {
            _ = try table("-A -t 10.0.0.1:80\n-a -t 10.0.0.2:80 -r 10.0.0.3\n")
        }
        #expect(throws: AdmFailure(message: "line 1: Illegal 'weight' option with the 'add-service' command\n", status: 2, endsRestore: true)) {
            _ = try table("-A -t 10.0.0.1:80 -w 5\n")
        }
        #expect(throws: AdmFailure(message: "line 3: only -A and -a lines belong in a table file: -C\n", status: 2, endsRestore: true)) {
            _ = try table("-A -t 10.0.0.1:80\n\n-C\n")
        }
    }
}
