/// A notify or quorum script: a program and its arguments, run directly (no shell), optionally as another user.
public struct ScriptCommand: Hashable, Sendable, CustomStringConvertible {
    /// The program (first element) and its arguments.
    public var arguments: [String]
    /// The user to run as (`notify_up "/bin/x" user`), if any.
    public var user: String?
    /// The group to run as, if any.
    public var group: String?

    /// Creates a command.
    public init(_ arguments: [String], user: String? = nil, group: String? = nil) {
        self.arguments = arguments
        self.user = user
        self.group = group
    }

    /// The command line, words separated by spaces.
    public var description: String { arguments.joined(separator: " ") }
}
