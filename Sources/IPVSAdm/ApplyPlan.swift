import IPVSKit

/// `lvsctl apply`: the smallest set of operations that turns the kernel's table into a desired one.
///
/// Services absent from the desired table are left alone unless `prune` is set. Within a desired service the
/// destinations are made to match exactly. Changes of weight, thresholds, forwarding or tunnel settings are edits
/// (`SET_DEST`), never delete-and-add, so connections survive; so are scheduler and persistence changes (`SET_SERVICE`).
public struct ApplyPlan: Sendable {
    /// The operations, in order: service deletions, service additions and edits, then destination changes.
    public private(set) var operations: [IPVSOperation] = []

    public init(desired: [ServiceEntry], current: [ServiceEntry], prune: Bool) {
        let currentByKey = Dictionary(current.map { ($0.service.key, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredKeys = Set(desired.map(\.service.key))
        if prune {
            for c in current where !desiredKeys.contains(c.service.key) { operations.append(.deleteService(c.service.key)) }
        }
        for d in desired {
            let key = d.service.key
            guard let c = currentByKey[key] else {
                operations.append(.addService(d.service))
                for dest in d.destinations { operations.append(.addDestination(dest, service: key)) }
                continue
            }
            if !d.service.sameConfiguration(as: c.service) { operations.append(.editService(d.service)) }
            let have = Dictionary(c.destinations.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            let want = Set(d.destinations.map(\.key))
            for old in c.destinations where !want.contains(old.key) {
                operations.append(.deleteDestination(old.key, service: key))
            }
            for dest in d.destinations {
                if let h = have[dest.key] {
                    if !dest.sameConfiguration(as: h) { operations.append(.editDestination(dest, service: key)) }
                } else {
                    operations.append(.addDestination(dest, service: key))
                }
            }
        }
    }

    /// The plan as ipvsadm command lines (numeric), one per operation.
    public var commandLines: String {
        let lister = Lister(format: [.rule, .numeric], resolver: NumericResolver())
        var out = ""
        for op in operations {
            switch op {
            case .addService(let s), .editService(let s):
                let line = lister.entry(ServiceEntry(service: s, destinations: []))
                if case .editService = op { out += "-E" + line.dropFirst(2) } else { out += line }
            case .deleteService(let k):
                out += "-D " + Self.serviceWords(k, lister) + "\n"
            case .addDestination(let d, let k), .editDestination(let d, let k):
                var svc = Service(key: k)
                svc.scheduler = "-"
                let lines = lister.entry(ServiceEntry(service: svc, destinations: [d])).split(separator: "\n")
                let line = lines.last.map(String.init) ?? ""
                if case .editDestination = op { out += "-e" + line.dropFirst(2) + "\n" } else { out += line + "\n" }
            case .deleteDestination(let d, let k):
                out += "-d " + Self.serviceWords(k, lister) + " -r " + (d.address.family == .inet ? "\(d.address)" : "[\(d.address)]") + ":\(d.port)\n"
            default:
                out += "# \(op)\n"
            }
        }
        return out
    }

    static func serviceWords(_ k: ServiceKey, _ lister: Lister) -> String {
        let line = lister.entry(ServiceEntry(service: Service(key: k, scheduler: "x"), destinations: []))
        // "-A <service> -s x\n"
        return String(line.dropFirst(3).dropLast(6))
    }

    /// Reads a desired table in `ipvsadm -S` form (`-A` and `-a` lines; `#` comments and blank lines ignored;
    /// negative firewall marks accepted). Throws the first error, naming its line; nothing is applied then.
    public static func desiredTable(from text: String, parser: CommandLineParser) throws(AdmFailure) -> [ServiceEntry] {
        var p = parser
        p.acceptsNegativeFirewallMarks = true
        var order: [ServiceKey] = []
        var entries: [ServiceKey: ServiceEntry] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var words: [String] = []
            for w in raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                if w.hasPrefix("#") { break }
                if w != "ipvsadm" { words.append(String(w)) }
            }
            if words.isEmpty { continue }
            func fail(_ why: String) -> AdmFailure {
                AdmFailure(message: "line \(n + 1): \(why)\n", status: 2, endsRestore: true)
            }
            let inv: Invocation
            do throws(AdmFailure) { inv = try p.parse(words) } catch { throw fail(error.message.trimmingSuffixNewlines) }
            guard case .command(let ce) = inv else { throw fail("not a table line: \(raw)") }
            switch ce.command {
            case .addService:
                let k = ce.service.key
                if entries[k] != nil { throw fail("service \(k) is defined twice") }
                entries[k] = ServiceEntry(service: ce.service.service, destinations: [])
                order.append(k)
            case .addServer:
                let k = ce.service.key
                guard entries[k] != nil else { throw fail("real server for undefined service \(k)") }
                let d = ce.destination.destination
                if entries[k]?.destinations.contains(where: { $0.key == d.key }) == true {
                    throw fail("real server \(d.key) is defined twice for \(k)")
                }
                entries[k]?.destinations.append(d)
            default:
                throw fail("only -A and -a lines belong in a table file: \(raw)")
            }
        }
        return order.compactMap { entries[$0] }
    }
}

extension String {
    var trimmingSuffixNewlines: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
