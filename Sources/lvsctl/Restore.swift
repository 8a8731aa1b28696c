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
    static func words(of line: UnsafeBufferPointer<UInt8>) -> [String] {
        var out: [String] = []
        var i = 0
        func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0d }
        while i < line.count {
            while i < line.count, isSeparator(line[i]) { i += 1 }
            let start = i
            while i < line.count, !isSeparator(line[i]) { i += 1 }
            guard i > start else { break }
            if line[start] == UInt8(ascii: "#") { break }
            let word = UnsafeBufferPointer(rebasing: line[start..<i])
            if word.elementsEqual("ipvsadm".utf8) { continue }
            out.append(String(decoding: word, as: UTF8.self))
        }
        return out
    }

    func run() -> Int32 {
        let timing = getenv("LVSCTL_TIMING") != nil
        func now() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        // Only whole phases are timed: a clock read per line costs a system call per line on machines whose clock
        // source has no vDSO path (the test VM's HPET).
        var kernelTime = 0.0
        let begun = timing ? now() : 0
        defer {
            if timing {
                let total = now() - begun
                Output.err("lvsctl -R: \(Int(total * 1000)) ms, of which \(Int(kernelTime * 1000)) ms waiting for the kernel to finish\n")
            }
        }
        let input = Output.readAll(fd: 0)
        var parser = runner.parser
        parser.acceptsNegativeFirewallMarks = true
        var pending: [IPVSOperation] = []
        var status: Int32 = 0
        let pipeline = BatchPipeline(client: runner.client)

        /// Applies everything parsed so far and reports each failure, in input order.
        func flush() {
            pipeline.submit(pending)
            pending.removeAll(keepingCapacity: true)
            let started = timing ? now() : 0
            let outcomes = pipeline.finish()
            if timing { kernelTime += now() - started }
            for (op, r) in outcomes {
                if case .failure(let e) = r {
                    Output.err(Runner.message(for: e, operation: op) + "\n")
                    status = 255
                } else {
                    status = 0
                }
            }
        }

        var lineStart = 0
        while lineStart < input.count {
            var lineEnd = lineStart
            while lineEnd < input.count, input[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let words = input.withUnsafeBufferPointer { Self.words(of: UnsafeBufferPointer(rebasing: $0[lineStart..<lineEnd])) }
            lineStart = lineEnd + 1
            if words.isEmpty { continue }
            let invocation: Invocation
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
                    if pending.count >= BatchPipeline.batchSize {
                        pipeline.submit(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
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
