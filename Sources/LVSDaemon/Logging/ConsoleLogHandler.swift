import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A log handler that writes `lvsd[PID]: message` lines to standard error, the way keepalived's console log reads.
public struct ConsoleLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let detail: Bool

    /// Creates the handler; `detail` (`-D`) adds a timestamp.
    public init(detail: Bool) { self.detail = detail }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = detail ? "\(Self.timestamp()) " : ""
        line += "lvsd[\(getpid())]: "
        if event.level >= .warning { line += "\(event.level): " }
        line += "\(event.message)"
        StandardStreams.errorLine(line)
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var tm = tm()
        var seconds = now.tv_sec
        localtime_r(&seconds, &tm)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y", &tm)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
