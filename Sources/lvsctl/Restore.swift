import IPVSAdm
import IPVSKit
#if canImport(Glibc)
import Glibc
#endif

/// `-R`: reads `ipvsadm -S` output and ipvsadm command lines from stdin. Table changes are sent as one pipelined
/// batch (flushed before any listing line, so output keeps its order); errors are printed per line as ipvsadm
/// prints them. Beyond ipvsadm: `#` comments are ignored, and negative firewall marks (what `ipvsadm -S` prints
/// for marks of 2^31 and more) are accepted.
struct Restore {
    let runner: Runner

    /// Splits one input line as ipvsadm's `config_stream_read` does (spaces, tabs, CRs; the word `ipvsadm` is
    /// dropped), and drops everything from a word starting with `#`.
    static func words(of line: Substring) -> [String] {
        var out: [String] = []
        for w in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
            if w.hasPrefix("#") { break }
            if w == "ipvsadm" { continue }
            out.append(String(w))
        }
        return out
    }

    func run() -> Int32 {
        let timing = getenv("LVSCTL_TIMING") != nil
        var parseTime = 0.0, kernelTime = 0.0
        func now() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        defer {
            if timing { Output.err("lvsctl -R: parse \(Int(parseTime * 1000)) ms, kernel \(Int(kernelTime * 1000)) ms\n") }
        }
        let input = String(decoding: Output.readAll(fd: 0), as: UTF8.self)
        var parser = runner.parser
        parser.acceptsNegativeFirewallMarks = true
        var pending: [IPVSOperation] = []
        var status: Int32 = 0

        func flush() {
            guard !pending.isEmpty else { return }
            let started = now()
            let results = runner.client.perform(pending)
            kernelTime += now() - started
            for (op, r) in zip(pending, results) {
                if case .failure(let e) = r {
                    Output.err(Runner.message(for: e, operation: op) + "\n")
                    status = 255
                } else {
                    status = 0
                }
            }
            pending.removeAll(keepingCapacity: true)
        }

        for line in input.split(separator: "\n", omittingEmptySubsequences: true) {
            let words = Self.words(of: line)
            if words.isEmpty { continue }
            let invocation: Invocation
            let parseStarted = now()
            defer { parseTime += now() - parseStarted }
            do throws(AdmFailure) {
                invocation = try parser.parse(words)
            } catch {
                flush()
                Output.err(error.message)
                if error.endsRestore { Output.exit(error.status) }
                status = error.status
                continue
            }
            switch invocation {
            case .help:
                flush()
                Output.out(Usage.text(program: runner.program))
                Output.exit(0)
            case .version:
                flush()
                Output.out(Usage.version)
                Output.exit(0)
            case .command(let ce):
                if let op = ce.operation {
                    pending.append(op)
                } else {
                    flush()
                    status = runner.run(ce, reading: true)
                }
            }
        }
        flush()
        return status
    }
}
