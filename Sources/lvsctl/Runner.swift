import IPVSAdm
import IPVSKit
#if canImport(Glibc)
import Glibc
#endif

/// Runs parsed ipvsadm commands against the kernel through one ``IPVSClient``.
struct Runner {
    let client: IPVSClient
    let program: String
    let json: Bool

    var parser: CommandLineParser { CommandLineParser(programName: program) }

    /// The message ipvsadm prints for a failed kernel operation.
    static func message(for error: IPVSError, operation: IPVSOperation?) -> String {
        if case .invalidArgument = error, let operation {
            // IPVSKit refuses some requests before sending them (after the kernel's answer about the service, which
            // comes first); print what the kernel would have answered.
            return IPVSError.ipvsadmMessage(command: operation.command, errno: operation.kernelErrnoForRefusal)
        }
        return error.ipvsadmMessage
    }

    /// Runs one command; returns the exit status ipvsadm's `process_options` would return.
    func run(_ ce: ParsedCommand, reading stdin: Bool) -> Int32 {
        switch ce.command {
        case .list:
            return list(ce)
        case .save:
            var f = ce.format
            f.insert(.rule)
            return listAll(f)
        case .restore:
            if stdin {
                Output.err(AdmFailureText.tryHelp(program))
                Output.exit(255)
            }
            return Restore(runner: self).run()
        default:
            guard let op = ce.operation else { return 0 }
            if case .failure(let e) = client.perform([op])[0] {
                Output.err(Runner.message(for: e, operation: op) + "\n")
                return 255
            }
            return 0
        }
    }

    func list(_ ce: ParsedCommand) -> Int32 {
        let o = ce.options
        if o.contains(.connection) {
            guard let text = Output.readFile("/proc/net/ip_vs_conn") else {
                Output.err("cannot open file /proc/net/ip_vs_conn\n")
                Output.exit(1)
            }
            guard let listing = ConnectionLister(format: ce.format).render(text) else {
                Output.err("unexpected input from /proc/net/ip_vs_conn\n")
                Output.exit(1)
            }
            Output.out(listing)
            return 0
        }
        if o.contains(.service) {
            do throws(IPVSError) {
                guard let svc = try client.service(ce.service.key) else {
                    Output.err("No such service\n")
                    Output.exit(1)
                }
                let entry = ServiceEntry(service: svc, destinations: try client.destinations(of: svc.key))
                Output.out(json ? JSONListing.one(entry) : Lister(format: ce.format).one(entry))
            } catch {
                Output.err(error.ipvsadmMessage + "\n")
                Output.exit(1)
            }
            return 0
        }
        if o.contains(.timeout) {
            do throws(IPVSError) {
                let t = try client.timeouts()
                Output.out(json ? JSONListing.timeouts(t) : Lister.timeouts(t))
            } catch {
                Output.exit(1)
            }
            return 0
        }
        if o.contains(.daemon) {
            do throws(IPVSError) {
                let d = try client.daemons()
                Output.out(json ? JSONListing.daemons(d) : Lister.daemons(d))
            } catch {
                Output.exit(1)
            }
            return 0
        }
        return listAll(ce.format)
    }

    func listAll(_ format: ListFormat) -> Int32 {
        do throws(IPVSError) {
            let info = try client.info()
            let table = try readTable(destinationsFromProc: format.isDisjoint(with: Runner.netlinkOnlyFormats) && !json)
            if json {
                Output.out(JSONListing.table(table, info: info))
            } else {
                Output.out(bytes: Lister(format: format).allBytes(table, info: info))
            }
        } catch {
            Output.err(error.ipvsadmMessage + "\n")
            Output.exit(1)
        }
        return 0
    }
}

extension Runner {
    /// Formats that print something only netlink reports (counters, thresholds, persistence counts, tunnels, and the
    /// save format's tunnel options).
    static let netlinkOnlyFormats: ListFormat = [.rule, .stats, .rate, .thresholds, .persistentConn, .tunInfo]

    /// The table: one service dump, then destinations either from `/proc/net/ip_vs` (one read for the whole table)
    /// or from one netlink dump per service. Services the file does not identify unambiguously fall back to netlink.
    func readTable(destinationsFromProc: Bool) throws(IPVSError) -> [ServiceEntry] {
        guard destinationsFromProc else { return try client.table() }
        let services = try client.services()
        guard let bytes = Output.readBytes("/proc/net/ip_vs") else { return try client.table() }
        let fromProc = ProcIPVS.parse(bytes: bytes)
        return try services.map { (s) throws(IPVSError) -> ServiceEntry in
            if let d = fromProc[ProcIPVS.Key(s.key)] { return ServiceEntry(service: s, destinations: d) }
            return ServiceEntry(service: s, destinations: try client.destinations(of: s.key))
        }
    }
}

/// Texts shared by the runner and restore.
enum AdmFailureText {
    static func tryHelp(_ p: String) -> String { "Try `\(p) -h' or '\(p) --help' for more information.\n" }
}
