import Director
import DirectorTesting
import HealthCheck
import KeepalivedConfig
import Logging
import NIOCore
import Synchronization
import Testing
@testable import LVSDaemon

/// A candidate from keepalived.conf text (which must parse without errors).
func candidate(_ text: String, file: String = "/etc/keepalived/keepalived.conf") throws -> ConfigurationCandidate {
    let result = KeepalivedConfigParser.parse(text: text, file: file)
    #expect(!result.hasErrors, "\(result.diagnostics.map(\.description))")
    return ConfigurationCandidate(file: file, configuration: result.configuration)
}

/// keepalived.conf with one NAT virtual server 10.10.0.1:80 and real servers 10.10.0.N:80 of the given weights,
/// checked by MISC_CHECK /bin/true (no network).
func config(weights: [Int], scheduler: String = "wrr") -> String {
    var text = "virtual_server 10.10.0.1 80 {\n    delay_loop 60\n    lvs_sched \(scheduler)\n    lvs_method NAT\n    protocol TCP\n"
    for (i, w) in weights.enumerated() {
        text += "    real_server 10.10.0.\(i + 2) 80 {\n        weight \(w)\n        MISC_CHECK {\n            misc_path /bin/true\n        }\n    }\n"
    }
    return text + "}\n"
}

/// Log lines kept in memory.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(sink: self) }
    }
}

struct CapturingHandler: LogHandler {
    let sink: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { sink.append("\(event.level): \(event.message)") }
}

/// Scripts started, in order (none is run).
final class RecordingLauncher: ScriptLauncher {
    private let started = Mutex<[DirectorScript]>([])
    var commands: [DirectorScript] { started.withLock { $0 } }
    func launch(_ command: DirectorScript) { started.withLock { $0.append(command) } }
}

/// A director service over an in-memory kernel, started with `text`.
struct DirectorRig {
    let kernel: FakeKernel
    let director: Director
    let service: DirectorService
    let logs = LogLines()
    let heartbeat = Heartbeat()
    let scripts = RecordingLauncher()

    init(_ text: String) throws {
        let first = try candidate(text)
        kernel = FakeKernel()
        director = Director(kernel: kernel)
        let started = try director.start(first.setup.virtualServers)
        service = DirectorService(director: director, setup: first.setup, started: started,
                                  engine: CheckEngine(prober: NeverProber()), scripts: scripts, metrics: nil,
                                  heartbeat: heartbeat, published: PublishedSpecs(first.setup.virtualServers),
                                  logger: logs.logger, tickInterval: .milliseconds(50))
    }

    /// `ipvsadm -Sn`-like lines of the in-memory table: `10.10.0.2:80 w3`.
    var weights: [String] {
        kernel.entries.flatMap { e in e.destinations.map { "\($0.key) w\($0.weight)" } }.sorted()
    }
}

/// A prober whose probes take an hour (the tests drive verdicts themselves); cancelled when the engine stops.
struct NeverProber: CheckProber {
    func probe(_ probe: CheckProbe, urlIndex: Int, defaultTimeout: Duration, on eventLoop: any EventLoop)
        -> EventLoopFuture<ProbeResult> {
        eventLoop.scheduleTask(in: .hours(1)) { ProbeResult.success() }.futureResult
    }
}
