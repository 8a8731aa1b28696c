/// A quorum change with keepalived's numbers (`do_vs_notifies` in ipwrapper.c), for notifications that print
/// them (keepalived's SMTP alert `Gained quorum 3+1=4 <= 5`).
public struct QuorumReport: Hashable, Sendable {
    /// Why the quorum was evaluated.
    public enum Cause: Hashable, Sendable {
        /// The first evaluation when the virtual server starts (`Starting with quorum up|down`).
        case start
        /// A real server or weight change (`Gained quorum`, `Lost quorum`), or the virtual server's removal at
        /// reload (`Lost quorum`).
        case change
        /// lvsd is stopping and the virtual server has `omega` (`Shutting down`).
        case stopping
    }

    /// The virtual server.
    public var virtualServer: VirtualServerID
    /// Whether it has quorum after the change.
    public var up: Bool
    /// Why the quorum was evaluated.
    public var cause: Cause
    /// `quorum`.
    public var quorum: UInt32
    /// `hysteresis`.
    public var hysteresis: UInt32
    /// The threshold the weight sum was compared with (quorum ± hysteresis).
    public var threshold: Int64
    /// The sum of the alive real servers' weights.
    public var weightSum: Int64

    /// Creates a report.
    public init(virtualServer: VirtualServerID, up: Bool, cause: Cause, quorum: UInt32, hysteresis: UInt32,
                threshold: Int64, weightSum: Int64) {
        self.virtualServer = virtualServer
        self.up = up
        self.cause = cause
        self.quorum = quorum
        self.hysteresis = hysteresis
        self.threshold = threshold
        self.weightSum = weightSum
    }
}
