/// What one checker result did to its checker and real server (``Director/handle(_:)-([CheckerEvent])``): what a
/// checker's own notification needs, keepalived's SMTP alert above all (`update_svr_checker_state` in a checker,
/// then `smtp_alert` when the checker changed state).
public struct CheckerReport: Hashable, Sendable {
    /// The result.
    public var event: CheckerEvent
    /// Whether the checker was up before.
    public var checkerWasUp: Bool
    /// Whether the checker is up now.
    public var checkerIsUp: Bool
    /// Whether the real server was alive (in the pool) before.
    public var realServerWasAlive: Bool
    /// Whether the real server is alive now.
    public var realServerIsAlive: Bool

    /// Creates a report.
    public init(event: CheckerEvent, checkerWasUp: Bool, checkerIsUp: Bool, realServerWasAlive: Bool,
                realServerIsAlive: Bool) {
        self.event = event
        self.checkerWasUp = checkerWasUp
        self.checkerIsUp = checkerIsUp
        self.realServerWasAlive = realServerWasAlive
        self.realServerIsAlive = realServerIsAlive
    }

    /// Whether the checker changed state (keepalived mails only then).
    public var checkerChanged: Bool { checkerWasUp != checkerIsUp }
}
