import IPVSAdm
import IPVSKit

/// `lvsctl apply FILE [--dry-run] [--prune]`.
enum Apply {
    static let usage = "usage: lvsctl apply FILE [--dry-run] [--prune]\n"

    static func run(_ args: [String], client: IPVSClient) -> Int32 {
        var file: String?
        var dryRun = false
        var prune = false
        for a in args {
            switch a {
            case "--dry-run": dryRun = true
            case "--prune": prune = true
            default:
                if file != nil || a.hasPrefix("-") {
                    Output.err("lvsctl apply: unexpected argument \(a)\n" + usage)
                    return 2
                }
                file = a
            }
        }
        guard let file else {
            Output.err(usage)
            return 2
        }
        guard let text = file == "-" ? String(decoding: Output.readAll(fd: 0), as: UTF8.self) : Output.readFile(file) else {
            Output.err("lvsctl apply: cannot read \(file)\n")
            return 2
        }
        let desired: [ServiceEntry]
        do throws(AdmFailure) {
            desired = try ApplyPlan.desiredTable(from: text, parser: CommandLineParser(programName: "lvsctl"))
        } catch {
            Output.err("lvsctl apply: \(file): \(error.message)")
            return 2
        }
        let current: [ServiceEntry]
        do throws(IPVSError) { current = try client.table() } catch {
            Output.err("lvsctl apply: cannot read the kernel table: \(error)\n")
            return 1
        }
        let plan = ApplyPlan(desired: desired, current: current, prune: prune)
        if dryRun {
            Output.out(plan.commandLines)
            return 0
        }
        var status: Int32 = 0
        for (op, r) in zip(plan.operations, client.perform(plan.operations)) {
            if case .failure(let e) = r {
                Output.err("lvsctl apply: \(op): \(Runner.message(for: e, operation: op))\n")
                status = 255
            }
        }
        return status
    }
}
