/// How important a log line is.
public enum LogLevel: String, Sendable, Hashable {
    /// Transitions and other normal events (keepalived's `LOG_INFO`).
    case info
    /// Something the operator should look at (clamped settings, ignored entries).
    case warning
    /// A failure (a kernel refusal).
    case error
}

/// Something the caller must do after a state change: the director itself does no I/O besides IPVS.
public enum DirectorAction: Hashable, Sendable, CustomStringConvertible {
    /// Log this line (keepalived's wording for keepalived's events).
    case log(LogLevel, String)
    /// Run a script (`notify_up`, `notify_down`, `quorum_up`, `quorum_down`) directly, without a shell.
    case runScript(ScriptCommand)
    /// A real server changed between alive and not alive (for the notify FIFO, metrics and SNMP):
    /// keepalived's FIFO line is `RS [ip]:proto:port [vip]:proto:port UP|DOWN`.
    case realServerChanged(RealServerID, up: Bool)
    /// A virtual server gained or lost quorum (FIFO line `VS [vip]:proto:port UP|DOWN`).
    case quorumChanged(VirtualServerID, up: Bool)
    /// keepalived's numbers for the quorum change reported just before by ``quorumChanged(_:up:)`` (for the SMTP
    /// alert).
    case quorumReport(QuorumReport)
    /// A real server that was alive left the pool because it was removed by a reload, or at shutdown (`omega`):
    /// keepalived's `clear_service_rs`, reported after ``realServerChanged(_:up:)`` (for the SMTP alert).
    case realServerCleared(RealServerID, stopping: Bool)

    public var description: String {
        switch self {
        case .log(let level, let text): "\(level.rawValue): \(text)"
        case .runScript(let s): "run \(s)"
        case .realServerChanged(let id, let up): "RS \(id.destination) of \(id.virtualServer) \(up ? "UP" : "DOWN")"
        case .quorumChanged(let id, let up): "VS \(id) \(up ? "UP" : "DOWN")"
        case .quorumReport(let r): "VS \(r.virtualServer) quorum \(r.quorum)+\(r.hysteresis)=\(r.threshold), weight \(r.weightSum)"
        case .realServerCleared(let id, let stopping): "RS \(id.destination) of \(id.virtualServer) \(stopping ? "shut down" : "removed")"
        }
    }

    /// The text of a log action, or `nil`.
    public var logLine: String? {
        if case .log(_, let text) = self { return text }
        return nil
    }
}
