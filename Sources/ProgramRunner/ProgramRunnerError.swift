#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Why a program could not be started (or checked). ``description`` names the program and, where it matters, the
/// user or group, and the errno text.
public struct ProgramRunnerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case invalidProgram, unknownUser, unknownGroup, unsafePermissions, notFound, spawnFailed,
                credentialsFailed, execFailed, unsupported, terminated
        }
        private let storage: Storage
        private init(_ storage: Storage) { self.storage = storage }

        /// No arguments, or a program path that is not absolute.
        public static let invalidProgram = Code(.invalidProgram)
        /// The user to run as does not exist.
        public static let unknownUser = Code(.unknownUser)
        /// The group to run as does not exist.
        public static let unknownGroup = Code(.unknownGroup)
        /// Script security: the program would run as root but it, or a directory above it, is writable by
        /// someone else (keepalived: `Unsafe permissions found for script`).
        public static let unsafePermissions = Code(.unsafePermissions)
        /// The program (or a directory on its path) does not exist, or is not a regular file.
        public static let notFound = Code(.notFound)
        /// The runner could not make the child (pipe, clone, pidfd, thread).
        public static let spawnFailed = Code(.spawnFailed)
        /// The child could not take the user's or group's identity (setgroups, setgid, setuid).
        public static let credentialsFailed = Code(.credentialsFailed)
        /// `execve` failed (EACCES, ENOEXEC, ETXTBSY, ...).
        public static let execFailed = Code(.execFailed)
        /// The kernel lacks `pidfd_open` (Linux < 5.3).
        public static let unsupported = Code(.unsupported)
        /// ``ProgramRunner/terminateAll()`` ran before the program was started.
        public static let terminated = Code(.terminated)

        /// The code's name.
        public var description: String { "\(storage)" }
    }

    /// The kind of failure.
    public let code: Code
    /// The program path (`""` when no arguments were given).
    public let path: String
    /// The user the program was to run as, when one was named (by the spec or the runner's default).
    public let user: String?
    /// The group the program was to run as, when one was named.
    public let group: String?
    /// The errno behind the failure, if there is one.
    public let errno: Int32?
    /// The cause alone, without the program: the errno text (`No such file or directory`) or a phrase.
    public let message: String

    /// Creates an error; `message` nil means the text of `errno`.
    init(
        _ code: Code,
        path: String,
        user: String? = nil,
        group: String? = nil,
        errno: Int32? = nil,
        message: String? = nil
    ) {
        self.code = code
        self.path = path
        self.user = user
        self.group = group
        self.errno = errno
        self.message = message ?? errno.map(Self.text(ofErrno:)) ?? "\(code)"
    }

    /// A sentence: `cannot run '/etc/check.sh' as user 'bob': unknown user`, `cannot run '/x': No such file or
    /// directory (errno 2)`, or keepalived's `Unsafe permissions found for script '/tmp/x/check.sh' (...)`.
    public var description: String {
        if code == .unsafePermissions {
            return "Unsafe permissions found for script '\(path)' (\(message))"
        }
        let who = [user.map { "user '\($0)'" }, group.map { "group '\($0)'" }].compactMap { $0 }
            .joined(separator: " and ")
        let asWho = who.isEmpty ? "" : " as \(who)"
        let number = errno.map { " (errno \($0))" } ?? ""
        return "cannot run '\(path)'\(asWho): \(message)\(number)"
    }

    /// strerror(3) of `code`.
    static func text(ofErrno code: Int32) -> String {
        String(cString: strerror(code))
    }
}
