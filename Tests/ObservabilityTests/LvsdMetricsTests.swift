import Observability
import Testing

@Suite struct LvsdMetricsTests {
    let vs = "TCP 10.0.0.1:80"
    let rs = "192.168.1.10:80"

    @Test func rendersEveryMetricFamilyInTheTextFormat() throws {
        let metrics = LvsdMetrics(version: "1.2.3")
        metrics.setRealServer(virtualServer: vs, realServer: rs, up: true)
        metrics.setKernelWeight(virtualServer: vs, realServer: rs, weight: 3)
        metrics.recordTransition(virtualServer: vs, realServer: rs, direction: .up)
        metrics.recordCheck(checker: "TCP_CHECK", realServer: rs, latency: .milliseconds(3))
        metrics.setQuorum(virtualServer: vs, up: false)
        metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(connections: 7, inPackets: 70, outPackets: 60, inBytes: 7000, outBytes: 6000))
        metrics.recordReload(.ok)
        metrics.recordDriftRepair(count: 2)
        metrics.recordDriftRepair(count: -5)  // ignored

        let text = try PrometheusText(metrics.render())
        let rsLabels = ["virtual_server": vs, "real_server": rs]
        #expect(text.value("lvsd_real_server_up", rsLabels) == 1)
        #expect(text.value("lvsd_real_server_weight", rsLabels) == 3)
        #expect(text.value("lvsd_real_server_transitions_total", rsLabels.merging(["direction": "up"]) { $1 }) == 1)
        #expect(text.value("lvsd_real_server_transitions_total", rsLabels.merging(["direction": "down"]) { $1 }) == 0)
        let check = ["checker": "TCP_CHECK", "real_server": rs]
        #expect(text.value("lvsd_check_duration_seconds_count", check) == 1)
        #expect(text.value("lvsd_check_duration_seconds_bucket", check.merging(["le": "0.0025"]) { $1 }) == 0)
        #expect(text.value("lvsd_check_duration_seconds_bucket", check.merging(["le": "0.005"]) { $1 }) == 1)
        #expect(text.value("lvsd_check_duration_seconds_bucket", check.merging(["le": "+Inf"]) { $1 }) == 1)
        #expect(abs((text.value("lvsd_check_duration_seconds_sum", check) ?? 0) - 0.003) < 1e-9)
        #expect(text.value("lvsd_virtual_server_quorum_up", ["virtual_server": vs]) == 0)
        #expect(text.value("lvsd_service_connections_total", ["virtual_server": vs]) == 7)
        #expect(text.value("lvsd_service_in_packets_total", ["virtual_server": vs]) == 70)
        #expect(text.value("lvsd_service_out_packets_total", ["virtual_server": vs]) == 60)
        #expect(text.value("lvsd_service_in_bytes_total", ["virtual_server": vs]) == 7000)
        #expect(text.value("lvsd_service_out_bytes_total", ["virtual_server": vs]) == 6000)
        #expect(text.value("lvsd_reloads_total", ["result": "ok"]) == 1)
        #expect(text.value("lvsd_reloads_total", ["result": "refused"]) == 0)
        #expect(text.value("lvsd_drift_repairs_total") == 2)
        #expect(text.value("lvsd_build_info", ["version": "1.2.3"]) == 1)

        #expect(text.types["lvsd_real_server_up"] == "gauge")
        #expect(text.types["lvsd_check_duration_seconds"] == "histogram")
        #expect(text.types["lvsd_service_in_bytes_total"] == "counter")
        #expect(text.types["lvsd_reloads_total"] == "counter")
        // Every family has help text, and every sample belongs to a declared family.
        for (name, _) in text.types { #expect(text.help[name]?.isEmpty == false, "no HELP for \(name)") }
        for sample in text.samples {
            let family = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                text.types[name] == nil && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
            }
            #expect(text.types[family] != nil, "sample \(sample.name) has no TYPE")
            #expect(sample.name.hasPrefix("lvsd_"))
        }
    }

    @Test func freshMetricsStartWithZeroCountersNotMissingOnes() throws {
        let text = try PrometheusText(LvsdMetrics(version: "x").render())
        #expect(text.value("lvsd_reloads_total", ["result": "refused"]) == 0)
        #expect(text.value("lvsd_drift_repairs_total") == 0)
        #expect(text.all("lvsd_real_server_up").isEmpty)
    }

    @Test func serviceCountersExposeExactKernelValuesAcrossSnapshotsAndResets() throws {
        let metrics = LvsdMetrics(version: "x")
        let big: UInt64 = 9_007_199_254_740_993  // 2^53 + 1: not representable in a Double
        metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(connections: 10, inBytes: big))
        #expect(metrics.render().contains("lvsd_service_in_bytes_total{virtual_server=\"\(vs)\"} \(big)\n"))
        metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(connections: 25, inBytes: big + 4))
        var rendered = metrics.render()
        #expect(rendered.contains("lvsd_service_connections_total{virtual_server=\"\(vs)\"} 25\n"))
        #expect(rendered.contains("lvsd_service_in_bytes_total{virtual_server=\"\(vs)\"} \(big + 4)\n"))
        // The kernel counters were zeroed (ipvsadm -Z): the metric restarts from the new snapshot.
        metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(connections: 3, inBytes: 100))
        rendered = metrics.render()
        #expect(rendered.contains("lvsd_service_connections_total{virtual_server=\"\(vs)\"} 3\n"))
        #expect(rendered.contains("lvsd_service_in_bytes_total{virtual_server=\"\(vs)\"} 100\n"))
        // Past Int64.max the value is clamped rather than trapping.
        metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(connections: .max))
        #expect(metrics.render().contains("lvsd_service_connections_total{virtual_server=\"\(vs)\"} \(Int64.max)\n"))
    }

    @Test func labelValuesWithQuotesBackslashesAndNewlinesAreEscaped() throws {
        let metrics = LvsdMetrics(version: "v\"1\\2\n3")
        let hostile = "FWM 7 \"group\\a\"\nx"
        metrics.setQuorum(virtualServer: hostile, up: true)
        let rendered = metrics.render()
        #expect(rendered.contains(#"lvsd_virtual_server_quorum_up{virtual_server="FWM 7 \"group\\a\"\nx"} 1.0"#))
        #expect(rendered.contains(#"lvsd_build_info{version="v\"1\\2\n3"} 1.0"#))
        // And the output still parses, giving the original values back.
        let text = try PrometheusText(rendered)
        #expect(text.value("lvsd_virtual_server_quorum_up", ["virtual_server": hostile]) == 1)
        #expect(text.value("lvsd_build_info", ["version": "v\"1\\2\n3"]) == 1)
    }

    @Test func removedServersDisappearFromTheOutput() throws {
        let metrics = LvsdMetrics(version: "x")
        metrics.setRealServer(virtualServer: vs, realServer: rs, up: true)
        metrics.setRealServer(virtualServer: vs, realServer: "192.168.1.11:80", up: false)
        metrics.setKernelWeight(virtualServer: vs, realServer: rs, weight: 1)
        metrics.recordCheck(checker: "HTTP_GET", realServer: rs, latency: .milliseconds(20))
        metrics.setQuorum(virtualServer: vs, up: true)
        metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(connections: 1))

        metrics.removeRealServer(virtualServer: vs, realServer: rs)
        metrics.removeCheck(checker: "HTTP_GET", realServer: rs)
        var text = try PrometheusText(metrics.render())
        #expect(text.all("lvsd_real_server_up").map { $0.labels["real_server"] } == ["192.168.1.11:80"])
        #expect(text.all("lvsd_real_server_weight").isEmpty)
        #expect(text.all("lvsd_real_server_transitions_total").allSatisfy { $0.labels["real_server"] != rs })
        #expect(text.all("lvsd_check_duration_seconds_count").isEmpty)

        metrics.removeVirtualServer(vs)
        text = try PrometheusText(metrics.render())
        #expect(text.all("lvsd_virtual_server_quorum_up").isEmpty)
        #expect(text.all("lvsd_service_connections_total").isEmpty)
        // A virtual server that comes back starts from its new snapshot.
        metrics.updateServiceCounters(virtualServer: vs, KernelServiceCounters(connections: 5))
        #expect(try PrometheusText(metrics.render()).value("lvsd_service_connections_total", ["virtual_server": vs]) == 5)
    }

    /// After a reload, only what the configuration still has stays in the output.
    @Test func keepOnlyPrunesWhatLeftTheConfiguration() throws {
        let metrics = LvsdMetrics(version: "x")
        let other = "192.168.1.11:80", vs2 = "TCP 10.0.0.2:80"
        metrics.setRealServer(virtualServer: vs, realServer: rs, up: true)
        metrics.setRealServer(virtualServer: vs, realServer: other, up: true)
        metrics.setRealServer(virtualServer: vs2, realServer: rs, up: true)
        metrics.recordCheck(checker: "VS#0", realServer: rs, latency: .milliseconds(2))
        metrics.recordCheck(checker: "VS#0", realServer: other, latency: .milliseconds(2))
        metrics.setQuorum(virtualServer: vs, up: true)
        metrics.setQuorum(virtualServer: vs2, up: true)
        metrics.updateServiceCounters(virtualServer: vs2, KernelServiceCounters(connections: 3))

        metrics.keepOnly(virtualServers: [vs], realServers: [(vs, rs)], checks: [("VS#0", rs)])
        let text = try PrometheusText(metrics.render())
        #expect(text.all("lvsd_real_server_up").map { [$0.labels["virtual_server"], $0.labels["real_server"]] } == [[vs, rs]])
        #expect(text.all("lvsd_check_duration_seconds_count").map { $0.labels["real_server"] } == [rs])
        #expect(text.all("lvsd_virtual_server_quorum_up").map { $0.labels["virtual_server"] } == [vs])
        #expect(text.all("lvsd_service_connections_total").isEmpty)
        // What stays keeps counting.
        metrics.recordCheck(checker: "VS#0", realServer: rs, latency: .milliseconds(2))
        #expect(try PrometheusText(metrics.render()).value("lvsd_check_duration_seconds_count", ["checker": "VS#0", "real_server": rs]) == 2)
    }

    @Test func aParserRejectsMalformedLines() {
        // The checker above is only worth something if it can fail.
        #expect(throws: PrometheusText.ParseError.self) { try PrometheusText("lvsd_x{a=\"b} 1\n") }
        #expect(throws: PrometheusText.ParseError.self) { try PrometheusText("lvsd_x{a=\"b\\q\"} 1\n") }
        #expect(throws: PrometheusText.ParseError.self) { try PrometheusText("lvsd_x 1 2 three\n") }
    }
}
