/// A keepalived-style log line whose real-server and virtual-server parts are filled in per subscriber
/// (one shared probe can serve several checkers, each logged under its own name).
public struct CheckLogLine: Hashable, Sendable {
    enum Segment: Hashable, Sendable {
        case text(String)
        case realServer
        case virtualServer
    }

    var segments: [Segment]

    init(_ segments: [Segment]) { self.segments = segments }

    /// Renders the line for a checker identity.
    public func rendered(for id: CheckerID) -> String {
        rendered(realServer: id.realServer, virtualServer: id.virtualServer)
    }

    /// Renders the line with explicit `FMT_RS` / `FMT_VS` strings.
    public func rendered(realServer: String, virtualServer: String) -> String {
        segments.map {
            switch $0 {
            case .text(let text): text
            case .realServer: realServer
            case .virtualServer: virtualServer
            }
        }.joined()
    }
}
