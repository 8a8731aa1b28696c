/// One program to run: what, as whom, and for how long.
public struct ProgramSpec: Sendable, Hashable {
    /// The program and its arguments. `arguments[0]` is the program's absolute path: it is executed directly,
    /// with no shell and no PATH search, and is also the program's `argv[0]`.
    public var arguments: [String]
    /// The user to run as (keepalived's `user NAME` on a script line); nil: the runner's default user.
    public var user: String?
    /// The group to run as; nil: `user`'s primary group when `user` is set, else the runner's default group.
    public var group: String?
    /// How long the program may run: then its process group gets SIGTERM, and SIGKILL ``killGrace`` later.
    /// nil: no limit.
    public var timeout: Duration?
    /// The time between SIGTERM and SIGKILL after a ``timeout`` (keepalived: 2 s).
    public var killGrace: Duration

    /// The program path, `arguments[0]` ("" when there are no arguments).
    public var path: String { arguments.first ?? "" }

    /// Creates a spec; `arguments[0]` is the absolute path of the program.
    public init(
        arguments: [String],
        user: String? = nil,
        group: String? = nil,
        timeout: Duration? = nil,
        killGrace: Duration = .seconds(2)
    ) {
        self.arguments = arguments
        self.user = user
        self.group = group
        self.timeout = timeout
        self.killGrace = killGrace
    }
}

/// How a program ended.
public enum ProgramOutcome: Sendable, Hashable {
    /// It exited by itself with this status (0...255).
    case exited(Int32)
    /// It was killed by this signal, not sent by a timeout (by ``ProgramRunner/terminateAll()``, by someone
    /// else, or by itself).
    case signalled(Int32)
    /// It ran past ``ProgramSpec/timeout``: its process group got SIGTERM, then SIGKILL if it had not exited
    /// within ``ProgramSpec/killGrace``; whatever remained of the group was killed once it had exited.
    case timedOut
    /// It did not start (see the error's ``ProgramRunnerError/description``).
    case failedToStart(ProgramRunnerError)
}
