import Director
import Foundation
import IPVSKit
import KeepalivedConfig
import Logging
import Testing
@testable import LVSDaemon

@Suite("lvsd: regex diagnostics and the checkers' notify FIFO", .timeLimit(.minutes(1)))
struct CheckerFifoAndRegexTests {
    private func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "lvsd-regex-\(UUID().uuidString).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func conf(_ urlLines: String, global: String = "") -> String {
        """
        global_defs {
        \(global)
        }
        virtual_server 10.0.0.1 80 {
            lb_kind NAT
            protocol TCP
            real_server 10.0.0.2 80 {
                HTTP_GET {
                    url {
                        path /
                        \(urlLines)
                    }
                }
            }
        }
        """
    }

    @Test func aRegexPCRE2RefusesIsAnErrorAtItsLine() throws {
        let path = try write(conf("regex \"(unclosed\"\n                regex_options caseless nonsense"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = ConfigTest.run(path: path)
        #expect(outcome.exitStatus == 1)
        #expect(outcome.messages.contains(
            "lvsd: \(path):11: error: invalid regex '(unclosed' at offset 9: missing closing parenthesis"))
        #expect(outcome.messages.contains("lvsd: \(path):11: warning: unknown regex_options 'nonsense' - ignored"))
        let good = try write(conf("regex \"[[:digit:]]+ OK\""))
        defer { try? FileManager.default.removeItem(atPath: good) }
        #expect(ConfigTest.run(path: good).exitStatus == 0)
        let result = ConfigurationReader.parse(file: good)
        let setup = KeepalivedSetup(configuration: result.configuration)
        guard case .http(let check) = setup.checks.first?.spec.probe else {
            Issue.record("no HTTP_GET planned")
            return
        }
        #expect(check.urls.first?.regex?.pattern == "[[:digit:]]+ OK")
    }

    @Test func fifoSpecsAreNotifyFifoThenLvsNotifyFifoWithThePathAppended() throws {
        let path = try write(conf("", global: """
            notify_fifo /run/all.fifo
            lvs_notify_fifo /run/lvs.fifo
            lvs_notify_fifo_script "/usr/local/bin/reader -v"
            """))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let setup = KeepalivedSetup(configuration: ConfigurationReader.parse(file: path).configuration)
        #expect(setup.notifyFifos == [
            NotifyFifoSpec(path: "/run/all.fifo", script: nil),
            NotifyFifoSpec(path: "/run/lvs.fifo", script: ScriptCommand(["/usr/local/bin/reader", "-v", "/run/lvs.fifo"])),
        ])
    }

    @Test func directorActionsBecomeKeepalivedsLines() throws {
        let vs = VirtualServerID.group("web")
        let rs = RealServerID(vs, try #require(IPAddress("10.0.0.2")), 8080)
        let actions: [DirectorAction] = [
            .log(.info, "x"), .runScript(ScriptCommand(["/bin/true"])), .realServerChanged(rs, up: false),
            .quorumChanged(vs, up: false), .realServerCleared(rs, stopping: true),
        ]
        let lines = CheckerNotifyFifos.lines(for: actions) { "[\($0.destination.address)]:tcp:\($0.destination.port)" }
        #expect(lines == ["RS [10.0.0.2]:tcp:8080 [web]:0 DOWN", "VS [web]:0 DOWN"])
    }

    @Test func aFifoThatCannotBeUsedIsLoggedNamingItAndItsScriptIsNotStarted() throws {
        let dir = NSTemporaryDirectory() + "lvsd-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let regular = "\(dir)/regular", fifo = "\(dir)/lvs.fifo"
        try "".write(toFile: regular, atomically: true, encoding: .utf8)
        let log = LogLines(), launcher = RecordingLauncher()
        var fifos = CheckerNotifyFifos()
        fifos.open([NotifyFifoSpec(path: regular, script: ScriptCommand(["/bin/cat", regular])),
                    NotifyFifoSpec(path: fifo, script: ScriptCommand(["/bin/cat", fifo]))],
                   scripts: launcher, logger: log.logger)
        #expect(log.all == ["error: notify FIFO \(regular) exists and is not a FIFO"])
        #expect(launcher.commands == [ScriptCommand(["/bin/cat", fifo])])
        // No reader: 10,000 lines, 230 KB (more than a pipe holds) are written or lost at once, never waited for.
        let vs = VirtualServerID.group("web")
        let rs = RealServerID(vs, try #require(IPAddress("10.0.0.2")), 80)
        let start = ContinuousClock.now
        for i in 0..<5000 {
            fifos.write([.realServerChanged(rs, up: i % 2 == 0), .quorumChanged(vs, up: true)], name: { _ in "[10.0.0.2]:tcp:80" },
                        logger: log.logger)
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(log.all.contains { $0.hasPrefix("debug: notify FIFO \(fifo) full: lost ") })
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).hasPrefix("RS [10.0.0.2]:tcp:80 [web]:0 UP\nVS [web]:0 UP\n"))
    }
}
