import IPVSAdm
import IPVSKit
import KeepalivedConfig

/// `lvsctl apply FILE [--dry-run] [--prune] [--format ipvsadm|keepalived]`.
///
/// FILE (or `-` for stdin) holds the desired table either as `ipvsadm -S` lines or as a keepalived.conf, whose
/// virtual_server blocks give the table keepalived would build with every real server healthy (each at its
/// configured weight; sorry servers are not part of it). The format is detected from the first meaningful line
/// unless `--format` says it.
enum Apply {
    static let usage = "usage: lvsctl apply FILE [--dry-run] [--prune] [--format ipvsadm|keepalived]\n"

    /// The two input formats.
    enum Format: String {
        case ipvsadm, keepalived

        /// ipvsadm lines start with an option (or the word `ipvsadm`); anything else is taken for keepalived.conf.
        static func detect(_ text: String) -> Format {
            for line in text.split(separator: "\n") {
                let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
                guard let first = trimmed.first, first != "#", first != "!" else { continue }
                return first == "-" || trimmed.hasPrefix("ipvsadm") ? .ipvsadm : .keepalived
            }
            return .ipvsadm
        }
    }

    static func run(_ args: [String], client: IPVSClient) -> Int32 {
        var file: String?
        var dryRun = false
        var prune = false
        var format: Format?
        var index = 0
        while index < args.count {
            let a = args[index]
            index += 1
            switch a {
            case "--dry-run": dryRun = true
            case "--prune": prune = true
            case "--format":
                guard index < args.count, let f = Format(rawValue: args[index]) else {
                    Output.err("lvsctl apply: --format takes ipvsadm or keepalived\n" + usage)
                    return 2
                }
                format = f
                index += 1
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
        switch format ?? Format.detect(text) {
        case .ipvsadm:
            do throws(AdmFailure) {
                desired = try ApplyPlan.desiredTable(from: text, parser: CommandLineParser(programName: "lvsctl"))
            } catch {
                Output.err("lvsctl apply: \(file): \(error.message)")
                return 2
            }
        case .keepalived:
            guard let table = keepalivedTable(file: file, text: text) else { return 2 }
            desired = table
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

    /// The desired table of a keepalived.conf, or `nil` (after printing every error with its file and line) when
    /// the configuration has errors: a file with any error applies nothing. Warnings are printed and do not stop it.
    static func keepalivedTable(file: String, text: String) -> [ServiceEntry]? {
        let result = file == "-"
            ? KeepalivedConfigParser.parse(text: text, file: "<stdin>")
            : KeepalivedConfigParser.parse(file: file)
        for d in result.diagnostics { Output.err(d.formatted(program: "lvsctl apply") + "\n") }
        if result.hasErrors {
            Output.err("lvsctl apply: \(file) has errors; nothing applied\n")
            return nil
        }
        // keepalived ignores what it does not know, so any text parses; a file without a single virtual_server is
        // not a table (and with --prune it would empty the kernel's).
        if result.configuration.virtualServers.isEmpty {
            Output.err("lvsctl apply: \(file) has no virtual_server; nothing applied\n")
            return nil
        }
        // A service configured twice (a virtual_server and a group entry with the same address) is taken once,
        // with its last definition.
        var order: [ServiceKey] = []
        var byKey: [ServiceKey: ServiceEntry] = [:]
        for entry in IPVSMapping.entries(for: result.configuration) {
            if byKey[entry.service.key] == nil { order.append(entry.service.key) }
            byKey[entry.service.key] = entry
        }
        return order.compactMap { byKey[$0] }
    }
}
