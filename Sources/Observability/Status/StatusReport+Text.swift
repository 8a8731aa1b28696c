#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension StatusReport {
    /// The snapshot as aligned text for people: the SIGUSR1 dump and `lvsd status`.
    ///
    /// A header names the daemon and its configuration, then each virtual server gets a line and a table of its
    /// real servers, one row per real server and one more row for each further checker:
    ///
    /// ```
    /// lvsd 1.0.0, pid 4242, up since 2026-11-22T03:00:00Z
    /// config /etc/keepalived/keepalived.conf, loaded 2026-11-22T03:00:00Z
    /// status at 2026-11-22T03:05:00Z
    ///
    /// TCP 10.0.0.1:80  scheduler rr  forwarding NAT  quorum up (1)  in kernel
    ///   counters: 12 conns, 340 packets in, 300 packets out, 20480 bytes in, 96000 bytes out
    ///   REAL SERVER      WEIGHT  KERNEL  STATE      CHECK      RESULT   LATENCY  REASON
    ///   10.1.0.1:80      1       1       alive      TCP_CHECK  success  0.4 ms
    ///   10.1.0.2:80      1       0       inhibited  HTTP_GET   failure  2.0 ms   status 500
    /// ```
    public func renderText() -> String {
        var out = "lvsd \(self.version), pid \(self.pid), up since \(Self.timestamp(self.startedAt))\n"
        out += "config \(self.configFile)"
        if let loaded = self.configLoadedAt {
            out += ", loaded \(Self.timestamp(loaded))"
        }
        out += "\n"
        if let reload = self.lastReload {
            out += "last reload \(Self.timestamp(reload.at)): \(reload.result.rawValue)"
            if let message = reload.message {
                out += " (\(Self.oneLine(message)))"
            }
            out += "\n"
        }
        out += "status at \(Self.timestamp(self.generatedAt))\n"
        if self.virtualServers.isEmpty {
            out += "\nno virtual servers configured\n"
        }
        for vs in self.virtualServers {
            out += "\n" + Self.render(vs)
        }
        if let instances = vrrpInstances, !instances.isEmpty {
            out += "\n"
            for instance in instances { out += instance.textLine + "\n" }
        }
        if let a = announce {
            out += "\nannounce on \(a.interface)\(a.drained ? " (DRAINED)" : "")\(a.error.map { " (error: \(Self.oneLine($0)))" } ?? ""):"
            out += a.addresses.map { " \($0.address) \($0.announced ? "announced" : "withdrawn")" }.joined(separator: ",") + "\n"
        }
        if let sysctls, !sysctls.isEmpty {
            out += "sysctls:" + sysctls.map { " \($0.name)=\($0.value)" }.joined() + "\n"
        }
        return out
    }

    private static func render(_ vs: VirtualServerStatus) -> String {
        var header = [vs.service]
        if let name = vs.name { header.append("(\(name))") }
        header.append("scheduler \(vs.scheduler)")
        if let forwarding = vs.forwarding { header.append("forwarding \(forwarding)") }
        if let timeout = vs.persistenceTimeout { header.append("persistent \(timeout)s") }
        header.append("quorum \(vs.quorumUp ? "up" : "down") (\(vs.quorum))")
        header.append(vs.inKernel ? "in kernel" : "NOT in kernel")
        if vs.sorryActive {
            header.append("SORRY SERVER ACTIVE" + (vs.sorryServer.map { " \($0)" } ?? ""))
        } else if let sorry = vs.sorryServer {
            header.append("sorry server \(sorry)")
        }
        var out = header.joined(separator: "  ") + "\n"
        if let c = vs.counters {
            out += "  counters: \(c.connections) conns, \(c.inPackets) packets in, \(c.outPackets) packets out, "
            out += "\(c.inBytes) bytes in, \(c.outBytes) bytes out\n"
        }
        if let digest = vs.schedulingDigest {
            out += "  scheduling digest \(digest)\n"
        }
        guard !vs.realServers.isEmpty else {
            return out + "  no real servers\n"
        }
        var rows: [[String]] = [["REAL SERVER", "WEIGHT", "KERNEL", "STATE", "CHECK", "RESULT", "LATENCY", "REASON"]]
        for rs in vs.realServers {
            let first = [
                rs.address,
                String(rs.configuredWeight),
                rs.kernelWeight.map(String.init) ?? "-",
                state(of: rs),
            ]
            let checks = rs.checks.isEmpty ? [nil] : rs.checks.map { Optional($0) }
            for (index, check) in checks.enumerated() {
                let lead = index == 0 ? first : ["", "", "", ""]
                rows.append(lead + checkColumns(check))
            }
        }
        return out + table(rows, indent: "  ")
    }

    private static func state(of rs: RealServerStatus) -> String {
        if rs.draining { return "draining" }
        if rs.inhibited { return "inhibited" }
        if rs.alive { return "alive" }
        return rs.kernelWeight == nil ? "dead" : "dead (in kernel)"
    }

    private static func checkColumns(_ check: CheckStatus?) -> [String] {
        guard let check else { return ["-", "", "", ""] }
        var columns = [check.type + (check.target.map { " \($0)" } ?? ""), check.result.rawValue]
        columns.append(check.latencyMilliseconds.map(milliseconds) ?? "")
        var reason = check.reason.map(oneLine) ?? ""
        if check.consecutiveFailures > 0 {
            reason += (reason.isEmpty ? "" : ", ") + "\(check.consecutiveFailures) failed in a row"
        }
        columns.append(reason)
        return columns
    }

    /// Left-aligned columns separated by two spaces; trailing blanks trimmed.
    private static func table(_ rows: [[String]], indent: String) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        var out = ""
        for row in rows {
            var line = indent
            for (column, cell) in row.enumerated() {
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - cell.count + 2)
                }
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    private static func milliseconds(_ value: Double) -> String {
        // One decimal, without Foundation's formatters: 0.4 ms, 12.0 ms, 1500.3 ms.
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10)) ms"
    }

    /// A reason or message on one line: control characters become spaces, so a hostile body cannot forge rows.
    private static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
