import IPVSKit

/// One thing wrong with a virtual server description.
public struct SpecProblem: Hashable, Sendable, CustomStringConvertible {
    /// The virtual server, formatted as keepalived does (`[10.0.0.1]:tcp:80`).
    public var virtualServer: String
    /// The real or sorry server concerned, if any.
    public var realServer: String?
    /// What is wrong.
    public var problem: String

    public var description: String {
        if let realServer { return "virtual server \(virtualServer), real server \(realServer): \(problem)" }
        return "virtual server \(virtualServer): \(problem)"
    }
}

/// Why the director refused a request.
public enum DirectorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The specs are invalid; nothing of them was applied.
    case invalidSpec([SpecProblem])
    /// The kernel refused a change; it was rolled back (see ``ApplyOutcome``), and the director's state was not
    /// changed.
    case kernel([String])
    /// The kernel table could not be read.
    case unavailable(IPVSError)

    public var description: String {
        switch self {
        case .invalidSpec(let problems):
            "invalid configuration, nothing applied:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .kernel(let failures):
            "the kernel refused the change, which was rolled back:\n" + failures.map { "  \($0)" }.joined(separator: "\n")
        case .unavailable(let e): "cannot read the IPVS table: \(e)"
        }
    }
}
