/// What a reload did: the configuration was applied everywhere, or refused everywhere.
public enum ReloadOutcome: Sendable, Hashable {
    /// Applied; the text summarises what changed.
    case applied(summary: String)
    /// Refused; nothing changed anywhere. Each reason is one line (configuration errors as `FILE:LINE: ...`).
    case refused(reasons: [String])

    /// Whether the configuration was applied.
    public var isApplied: Bool {
        if case .applied = self { return true }
        return false
    }

    /// The text for `lvsd reload` and the control socket: the summary, or `refused:` and the reasons.
    public var text: String {
        switch self {
        case .applied(let summary):
            return "reloaded: \(summary)\n"
        case .refused(let reasons):
            return (["reload refused; the running configuration is unchanged:"] + reasons.map { "  " + $0 })
                .joined(separator: "\n") + "\n"
        }
    }
}
