/// A checker's verdict on a real server, as the health-check engine reports it.
public struct CheckerEvent: Hashable, Sendable {
    /// The real server checked.
    public var realServer: RealServerID
    /// Which of its checkers.
    public var checker: CheckerID
    /// Whether the checker now considers the server up.
    public var up: Bool
    /// A new weight from `MISC_CHECK` with `misc_dynamic` (exit code − 2), if any.
    public var weight: Int64?

    /// Creates an event.
    public init(realServer: RealServerID, checker: CheckerID, up: Bool, weight: Int64? = nil) {
        self.realServer = realServer
        self.checker = checker
        self.up = up
        self.weight = weight
    }
}
