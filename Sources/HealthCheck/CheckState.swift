/// Up or down, as a checker reports it.
public enum CheckState: String, Hashable, Sendable {
    /// The checker passes.
    case up
    /// The checker fails.
    case down
}
