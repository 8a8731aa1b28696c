import Logging
import Synchronization
import Testing

@testable import HealthCheck

/// A log handler that keeps messages in memory (no global bootstrap).
struct CapturingLogHandler: LogHandler {
    final class Store: Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
    }
    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.lines.withLock { $0.append((event.level, "\(event.message)")) }
    }
}

@Suite("CheckEngine log lines", .timeLimit(.minutes(1)))
struct EngineLoggingTests {
    @Test func keepalivedWordingReachesTheLogger() async throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: store) }
        let prober = ScriptedProber { _, _ in .failed(.statusCode(500)) }
        let engine = CheckEngine(prober: prober, random: { 0 }, logger: logger)
        let id = CheckerID(virtualServer: "[10.0.0.1]:tcp:80", realServer: "[10.0.0.2]:tcp:80")
        var timers = fastTimers()
        timers.logAllFailures = true
        let spec = CheckSpec(
            probe: .http(HTTPCheck(target: CheckTarget(host: "10.0.0.2", port: 80), urls: [try HTTPURL(path: "/")])),
            timers: timers
        )
        await engine.add(CheckerConfig(id: id, spec: spec))
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !store.lines.withLock({ $0.contains { $0.1.contains("failed after") } }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        await engine.shutdown()
        let lines = store.lines.withLock { $0 }
        #expect(
            lines.contains {
                $0 == (.info, "Activating healthchecker for service [10.0.0.2]:tcp:80 for VS [10.0.0.1]:tcp:80")
            }
        )
        #expect(lines.contains { $0 == (.info, "HTTP status code error to server [10.0.0.2]:tcp:80.") })
        #expect(lines.contains { $0 == (.info, "HTTP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries.") })
    }
}
