import Foundation
import Observability
import Testing

@Suite struct StatusReportTests {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)

    static func sample() -> StatusReport {
        StatusReport(
            version: "1.0.0",
            pid: 4242,
            generatedAt: start.addingTimeInterval(60),
            startedAt: start,
            configFile: "/etc/keepalived/keepalived.conf",
            configLoadedAt: start,
            lastReload: ReloadStatus(at: start.addingTimeInterval(30), result: .refused, message: "keepalived.conf:12: unknown keyword 'lb_algox'"),
            virtualServers: [
                VirtualServerStatus(
                    service: "TCP 10.0.0.1:80",
                    scheduler: "wlc",
                    forwarding: "NAT",
                    inKernel: true,
                    quorumUp: true,
                    quorum: 1,
                    sorryServer: "10.9.9.9:80",
                    counters: KernelServiceCounters(connections: 12, inPackets: 340, outPackets: 300, inBytes: 20480, outBytes: 96000),
                    realServers: [
                        RealServerStatus(
                            address: "10.1.0.1:80", configuredWeight: 1, kernelWeight: 1, alive: true,
                            checks: [CheckStatus(type: "TCP_CHECK", result: .success, latency: .microseconds(420))]
                        ),
                        RealServerStatus(
                            address: "10.1.0.22:8080", configuredWeight: 100, kernelWeight: 0, alive: false, inhibited: true,
                            checks: [
                                CheckStatus(type: "HTTP_GET", target: "/health", result: .failure, reason: "status 500\nX-Forged: row", latencyMilliseconds: 2, consecutiveFailures: 3),
                                CheckStatus(type: "MISC_CHECK", result: .pending),
                            ]
                        ),
                    ]
                ),
                VirtualServerStatus(service: "FWM 7", scheduler: "rr", inKernel: false, quorumUp: false, sorryActive: true, sorryServer: "10.9.9.9", realServers: []),
            ]
        )
    }

    @Test func jsonRoundTripsAndUsesTheDocumentedKeys() throws {
        let report = Self.sample()
        let json = report.renderJSON()
        #expect(try StatusReport.decodeJSON(json) == report)

        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["format_version", "version", "pid", "generated_at", "started_at", "config_file", "config_loaded_at", "last_reload", "virtual_servers"])
        #expect(object["format_version"] as? Int == 1)
        #expect(object["started_at"] as? String == "2026-11-18T11:06:40Z")
        let vs = try #require((object["virtual_servers"] as? [[String: Any]])?.first)
        #expect(Set(vs.keys) == ["service", "scheduler", "forwarding", "in_kernel", "quorum_up", "quorum", "sorry_active", "sorry_server", "counters", "real_servers"])
        let counters = try #require(vs["counters"] as? [String: Any])
        #expect(Set(counters.keys) == ["connections", "in_packets", "out_packets", "in_bytes", "out_bytes"])
        let rs = try #require((vs["real_servers"] as? [[String: Any]])?.last)
        #expect(Set(rs.keys) == ["address", "configured_weight", "kernel_weight", "alive", "inhibited", "draining", "checks"])
        let check = try #require((rs["checks"] as? [[String: Any]])?.first)
        #expect(Set(check.keys) == ["type", "target", "result", "reason", "latency_milliseconds", "consecutive_failures"])
        #expect(check["result"] as? String == "failure")
        let first = try #require((vs["real_servers"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]])
        #expect(abs((first.first?["latency_milliseconds"] as? Double ?? 0) - 0.42) < 1e-9)
    }

    @Test func decodingGarbageFailsWithAnError() {
        #expect(throws: DecodingError.self) { try StatusReport.decodeJSON(#"{"version": 3}"#) }
        #expect(throws: (any Error).self) { try StatusReport.decodeJSON("not json") }
    }

    @Test func textIsAlignedAndSaysWhatMatters() throws {
        let text = Self.sample().renderText()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "lvsd 1.0.0, pid 4242, up since 2026-11-18T11:06:40Z")
        #expect(text.contains("last reload 2026-11-18T11:07:10Z: refused (keepalived.conf:12: unknown keyword 'lb_algox')"))
        #expect(text.contains("TCP 10.0.0.1:80  scheduler wlc  forwarding NAT  quorum up (1)  in kernel  sorry server 10.9.9.9:80"))
        #expect(text.contains("counters: 12 conns, 340 packets in, 300 packets out, 20480 bytes in, 96000 bytes out"))
        #expect(text.contains("FWM 7  scheduler rr  quorum down (1)  NOT in kernel  SORRY SERVER ACTIVE 10.9.9.9"))

        let header = try #require(lines.first { $0.contains("REAL SERVER") })
        let rows = lines.filter { $0.hasPrefix("  10.1.") || $0.hasPrefix("                ") }
        #expect(rows.count == 3)  // two real servers, the second with two checkers
        // Each column starts at the same offset in the header and every row.
        func character(_ row: String, at offset: Int) -> Character? {
            row.count > offset ? row[row.index(row.startIndex, offsetBy: offset)] : nil
        }
        for column in ["WEIGHT", "KERNEL", "STATE", "CHECK", "RESULT"] {
            let offset = try #require(header.range(of: column)).lowerBound.utf16Offset(in: header)
            // Every cell in this column starts exactly at the header's offset.
            let continuation = column == "CHECK" || column == "RESULT"
            for (index, row) in rows.enumerated() where index < 2 || continuation {
                #expect(character(row, at: offset - 1) == " ", "column \(column) misaligned in '\(row)'")
                #expect(character(row, at: offset).map { $0 != " " } == true, "column \(column) misaligned in '\(row)'")
            }
        }
        #expect(rows[0].contains("alive") && rows[0].contains("TCP_CHECK") && rows[0].contains("0.4 ms"))
        #expect(rows[1].contains("inhibited") && rows[1].contains("HTTP_GET /health") && rows[1].contains("3 failed in a row"))
        #expect(rows[2].contains("MISC_CHECK") && rows[2].contains("pending"))
        // A newline inside a reason cannot forge a row.
        #expect(!lines.contains { $0.hasPrefix("X-Forged") })
        #expect(text.contains("status 500 X-Forged: row"))
        #expect(text.contains("no real servers"))
    }

    @Test func anEmptyReportSaysSo() {
        let report = StatusReport(version: "1", pid: 1, generatedAt: Self.start, startedAt: Self.start, configFile: "/x", virtualServers: [])
        #expect(report.renderText().hasSuffix("\nno virtual servers configured\n"))
        #expect(report.renderJSON().contains("\"virtual_servers\" : [\n\n  ]") || report.renderJSON().contains("\"virtual_servers\" : []"))
    }
}
