import Foundation
import Testing

/// The lvsctl binary: `lvsctl` next to the test bundle (`.build/debug/LVSPackageTests.xctest` ->
/// `.build/debug/lvsctl`), or the sibling release build (`.build/release/lvsctl`, e.g. built with
/// `swift build -c release --product lvsctl --static-swift-stdlib`, which starts far faster in the TCG VM) when
/// that one is newer.
let lvsctlPath: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let debugDir = bundle.deletingLastPathComponent()
    let candidates = [
        debugDir.appendingPathComponent("lvsctl").path,
        debugDir.deletingLastPathComponent().appendingPathComponent("release/lvsctl").path,
    ]
    func mtime(_ p: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: p))?[.modificationDate] as? Date) ?? .distantPast
    }
    let usable = candidates.filter { FileManager.default.isExecutableFile(atPath: $0) }
    return usable.max { mtime($0) < mtime($1) } ?? candidates[0]
}()

/// A directory holding a symlink `ipvsadm` -> lvsctl, so that running it through `PATH` gives lvsctl the
/// program name ipvsadm has (its messages print `argv[0]`).
let lvsctlAsIpvsadmDirectory: String = {
    let dir = "/tmp/lvsctl-as-ipvsadm-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try? FileManager.default.removeItem(atPath: dir + "/ipvsadm")
    try? FileManager.default.createSymbolicLink(atPath: dir + "/ipvsadm", withDestinationPath: lvsctlPath)
    return dir
}()

/// A deterministic generator (SplitMix64), so a failing table can be rebuilt from its seed.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }
}

/// Random ipvsadm tables, as `ipvsadm -R` input: every protocol and family, firewall marks (including marks of
/// 2^31 and more), every scheduler with its flags, persistence with netmasks and the sip engine, one-packet
/// scheduling, every forwarding method, tunnel types and checksum options, mixed-family tunnels, weights and
/// thresholds.
enum TableGenerator {
    static let schedulers = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"]

    static func v4(_ r: inout SeededRandom) -> String {
        var a = r.int(1...223)
        if a == 127 { a = 128 }
        // A small pool of addresses makes services that differ only by port or protocol.
        if r.chance(30) { return r.pick(["10.0.0.1", "10.0.0.2", "192.168.7.7", "200.1.2.3"]) }
        return "\(a).\(r.int(0...255)).\(r.int(0...255)).\(r.int(1...254))"
    }

    static func v6(_ r: inout SeededRandom) -> String {
        if r.chance(30) { return r.pick(["2001:db8::1", "2001:db8::2", "fd00::7", "8000::1"]) }
        let top = r.pick(["2001:db8", "fd00:1", "8001:0", "3fff:ffff", "2400:cb00"])
        return "\(top):\(String(r.int(0...0xffff), radix: 16))::\(String(r.int(1...0xffff), radix: 16))"
    }

    /// Lines for `ipvsadm -R` (no `-C`), building `services` services.
    static func table(seed: UInt64, services: Int) -> [String] {
        var r = SeededRandom(seed: seed)
        var lines: [String] = []
        var keys = Set<String>()
        for _ in 0..<services {
            let kind = r.int(0...9)
            let v6 = [3, 4, 5, 7].contains(kind)
            var svc: String
            var isFwmark = false
            var udp = false
            var port = r.pick([80, 443, 53, 22, 8080, r.int(1...65535)])
            switch kind {
            case 0, 3, 8: svc = "-t"
            case 1, 4, 9: svc = "-u"; udp = true
            case 2, 5: svc = "--sctp-service"
            default: svc = "-f"; isFwmark = true
            }
            let persistent = r.chance(40)
            if isFwmark {
                let mark = r.chance(30) ? r.int(0x8000_0000...0xFFFF_FFFF) : r.int(1...5000)
                svc += " \(mark)" + (v6 ? " -6" : "")
            } else {
                if persistent, r.chance(15) { port = 0 }
                let addr = v6 ? "[\(Self.v6(&r))]" : Self.v4(&r)
                svc += " \(addr):\(port)"
            }
            if keys.contains(svc) { continue }
            keys.insert(svc)
            let sched = r.pick(schedulers)
            var line = "-A \(svc) -s \(sched)"
            if persistent {
                line += r.chance(50) ? " -p" : " -p \(r.int(1...86400))"
                if r.chance(50) {
                    if v6 { line += " -M \(r.int(1...128))" } else {
                        let bits = r.pick([8, 16, 20, 24, 31, 32])
                        let m = UInt32.max << (32 - UInt32(bits))
                        line += " -M \(m >> 24).\((m >> 16) & 255).\((m >> 8) & 255).\(m & 255)"
                    }
                }
                if udp, r.chance(25) { line += " --pe sip" }
            }
            if (udp || isFwmark), r.chance(25) { line += " -o" }
            var flags: [String] = []
            switch sched {
            case "sh", "mh":
                if r.chance(40) { flags.append("\(sched)-fallback") }
                if r.chance(40) { flags.append("\(sched)-port") }
            default:
                for f in ["flag-1", "flag-2", "flag-3"] where r.chance(10) { flags.append(f) }
            }
            if !flags.isEmpty { line += " -b " + flags.joined(separator: ",") }
            lines.append(line)

            var dests = Set<String>()
            for _ in 0..<r.int(0...5) {
                let fwd = r.pick(["-g", "-m", "-i"])
                let mixed = fwd == "-i" && r.chance(20)
                let dv6 = mixed ? !v6 : v6
                let daddr = dv6 ? "[\(Self.v6(&r))]" : Self.v4(&r)
                var dport = r.chance(50) ? port : r.int(1...65535)
                if !isFwmark, fwd != "-m" { dport = port }
                let withPort = r.chance(80)
                if !withPort { dport = isFwmark ? 0 : port }
                let key = "\(daddr):\(dport)"
                if dests.contains(key) { continue }
                dests.insert(key)
                // ipvsadm takes a bare IPv6 address, or a bracketed one with a port.
                let shown = withPort ? "\(daddr):\(dport)" : daddr.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                var d = "-a \(svc) -r \(shown) \(fwd)"
                let w = r.chance(10) ? r.int(100_000...2_147_483_647) : r.int(0...20)
                d += " -w \(w)"
                if r.chance(30) {
                    let u = r.int(0...100_000)
                    d += " -x \(u) -y \(r.int(0...u))"
                }
                if fwd == "-i" {
                    switch r.int(0...3) {
                    case 0: break
                    case 1: d += " --tun-type ipip"
                    case 2:
                        d += " --tun-type gue --tun-port \(r.int(1...65535))"
                        d += r.pick(["", " --tun-nocsum", " --tun-csum", " --tun-remcsum"])
                    default:
                        d += " --tun-type gre" + r.pick(["", " --tun-nocsum", " --tun-csum"])
                    }
                }
                lines.append(d)
            }
        }
        return lines
    }
}

/// Runs the same command lines with ipvsadm and with lvsctl (as argv[0] `ipvsadm`, so messages naming the program
/// match) inside a namespace, and reports every difference in stdout, stderr or exit status.
struct Differential {
    let ns: TestNamespace

    /// Compares, and repeats the comparisons that differed (up to twice more): the kernel's service dump walks a
    /// table shared by all namespaces with a global index, so a dump that spans several messages while another
    /// test changes its namespace can repeat or skip a service. That race hits either tool at random; a real
    /// difference persists.
    func compare(_ commands: [String], stdin: String? = nil, prelude: String = "") throws -> [String] {
        var diffs = try compareOnce(commands, stdin: stdin, prelude: prelude)
        for _ in 0..<2 where !diffs.isEmpty {
            let again = Set(diffs.map(\.command))
            diffs = try compareOnce(commands.filter { again.contains($0) }, stdin: stdin, prelude: "")
        }
        return diffs.map(\.text)
    }

    /// Runs each command with each tool on the table `setup` builds (`ipvsadm -R` lines; the table is flushed
    /// first and rebuilt after any command that changed it), and reports every difference in stdout, stderr, exit
    /// status or the table left behind (`ipvsadm -Sn`). For commands that succeed, where running one tool after
    /// the other on the same table would not compare like with like.
    func compareEach(_ commands: [String], from setup: String, stdin: String? = nil) throws -> [String] {
        let dir = "/tmp/lvseach-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ("-C\n" + setup).write(toFile: "\(dir)/setup", atomically: true, encoding: .utf8)
        try (stdin ?? "").write(toFile: "\(dir)/in", atomically: true, encoding: .utf8)
        var script = "cd \(dir)\nipvsadm -R <setup || exit 1\ninitial=$(ipvsadm -Sn)\n"
        for (i, c) in commands.enumerated() {
            for (tool, prefix) in [("a", ""), ("l", "PATH=\(lvsctlAsIpvsadmDirectory):$PATH ")] {
                script += "\(prefix)ipvsadm \(c) >\(tool)\(i).out 2>\(tool)\(i).err <in; echo $? >\(tool)\(i).rc\n"
                script += "ipvsadm -Sn >\(tool)\(i).sn; [ \"$(<\(tool)\(i).sn)\" = \"$initial\" ] || ipvsadm -R <setup\n"
            }
        }
        let r = try ns.exec("/bin/bash", ["-c", script])
        guard r.status == 0 else { throw TestFailure("differential script failed: \(r.stderr)") }
        var diffs: [String] = []
        for (i, c) in commands.enumerated() {
            for part in ["out", "err", "rc", "sn"] {
                let a = (try? String(contentsOfFile: "\(dir)/a\(i).\(part)", encoding: .utf8)) ?? "<missing>"
                let l = (try? String(contentsOfFile: "\(dir)/l\(i).\(part)", encoding: .utf8)) ?? "<missing>"
                if a != l { diffs.append("ipvsadm \(c): \(part == "sn" ? "table after" : part) differs\n--- ipvsadm\n\(a)\n--- lvsctl\n\(l)") }
            }
        }
        return diffs
    }

    /// One shell script per batch keeps process start-up in the slow VM to the two programs themselves.
    private func compareOnce(_ commands: [String], stdin: String?, prelude: String) throws -> [(command: String, text: String)] {
        let dir = "/tmp/lvsdiff-\(UUID().uuidString.prefix(8))"
        var script = "mkdir -p \(dir); cd \(dir)\n" + prelude
        if let stdin { try stdin.write(toFile: "\(dir).in", atomically: true, encoding: .utf8) }
        let input = stdin == nil ? "</dev/null" : "<\(dir).in"
        for (i, c) in commands.enumerated() {
            script += "ipvsadm \(c) >a\(i).out 2>a\(i).err \(input); echo $? >a\(i).rc\n"
            script += "PATH=\(lvsctlAsIpvsadmDirectory):$PATH ipvsadm \(c) >l\(i).out 2>l\(i).err \(input); echo $? >l\(i).rc\n"
        }
        let r = try ns.exec("/bin/bash", ["-c", script])
        guard r.status == 0 else { throw TestFailure("differential script failed: \(r.stderr)") }
        var diffs: [(command: String, text: String)] = []
        for (i, c) in commands.enumerated() {
            for part in ["out", "err", "rc"] {
                let a = (try? String(contentsOfFile: "\(dir)/a\(i).\(part)", encoding: .utf8)) ?? "<missing>"
                let l = (try? String(contentsOfFile: "\(dir)/l\(i).\(part)", encoding: .utf8)) ?? "<missing>"
                if a != l { diffs.append((c, "ipvsadm \(c): \(part) differs\n--- ipvsadm\n\(a)\n--- lvsctl\n\(l)")) }
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: "\(dir).in")
        return diffs
    }
}

/// A listing as a set of service blocks (a service line and its destination lines, sorted). Tables built in two
/// namespaces, or restored from a save, reach the kernel's lists in different orders, and ipvsadm's non-transitive
/// sort comparator (int differences; IPv4 destinations compared with IPv6 ones on their first word only) can then
/// order the same entries differently; the entries themselves must be identical.
func serviceBlocks(_ listing: String) -> [String] {
    var blocks: [[String]] = []
    for line in listing.split(separator: "\n") {
        if line.hasPrefix("-a ") || line.hasPrefix("  ->"), !blocks.isEmpty {
            blocks[blocks.count - 1].append(String(line))
        } else {
            blocks.append([String(line)])
        }
    }
    return blocks.map { b in ([b[0]] + b.dropFirst().sorted()).joined(separator: "\n") }.sorted()
}
