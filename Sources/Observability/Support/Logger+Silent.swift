import Logging

extension Logger {
    /// A logger that drops everything: the default for servers created without one (tests, tools).
    static let silent = Logger(label: "lvsd.observability", factory: { _ in SwiftLogNoOpLogHandler() })
}
