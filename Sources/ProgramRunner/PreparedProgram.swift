import CSpawnShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What a runner checks before it forks, and the rules it checks them by.
struct ProgramPolicy: Sendable {
    var scriptSecurity: Bool
    var defaultUser: String?
    var defaultGroup: String?

    /// Validates `spec` and resolves its identity: arguments present and free of NUL bytes, an absolute path to
    /// an existing regular file, a known user and group, and (with script security) safe permissions.
    func prepare(_ spec: ProgramSpec) throws(ProgramRunnerError) -> PreparedProgram {
        let path = spec.path
        guard !spec.arguments.isEmpty else {
            throw ProgramRunnerError(.invalidProgram, path: path, message: "no program given")
        }
        guard path.hasPrefix("/") else {
            throw ProgramRunnerError(.invalidProgram, path: path, message: "not an absolute path (no PATH search)")
        }
        guard !spec.arguments.contains(where: { $0.utf8.contains(0) }) else {
            throw ProgramRunnerError(.invalidProgram, path: path, message: "an argument contains a NUL byte")
        }
        let credentials = try Credentials.resolve(
            user: spec.user,
            group: spec.group,
            defaultUser: defaultUser,
            defaultGroup: defaultGroup,
            path: path
        )
        let file = try ScriptSecurity.status(of: path, program: path)
        guard file.st_mode & S_IFMT == S_IFREG else {
            let what = file.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw ProgramRunnerError(.notFound, path: path, message: "is \(what)")
        }
        if scriptSecurity {
            try ScriptSecurity.check(
                path: path,
                uid: credentials?.uid ?? geteuid(),
                gid: credentials?.gid ?? getegid()
            )
        }
        return PreparedProgram(
            arguments: spec.arguments,
            user: spec.user ?? defaultUser,
            group: spec.group ?? (spec.user == nil ? defaultGroup : nil),
            credentials: credentials
        )
    }
}

/// A checked program, ready to fork.
struct PreparedProgram: Sendable {
    var arguments: [String]
    /// The user and group names, for error messages.
    var user: String?
    var group: String?
    var credentials: Credentials?

    /// The environment every program gets (keepalived's scripts get no more than a PATH either).
    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]

    /// Forks and execs (see `ps_spawn`): the child's pid and pidfd, or why it did not start.
    func spawn() -> Result<(pid: pid_t, pidfd: Int32), ProgramRunnerError> {
        let path = arguments[0]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = Self.environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let ids = credentials ?? Credentials(uid: 0, gid: 0, groups: [])
        var pidfd: Int32 = -1
        var error: Int32 = 0
        var stage: Int32 = 0
        let pid = ids.groups.withUnsafeBufferPointer { groups in
            ps_spawn(
                path,
                argv,
                envp,
                credentials == nil ? 0 : 1,
                ids.uid,
                ids.gid,
                groups.baseAddress,
                Int32(groups.count),
                &pidfd,
                &error,
                &stage
            )
        }
        if pid > 0 { return .success((pid, pidfd)) }
        return .failure(failure(stage: stage, errno: error, ids: ids))
    }

    /// The error for a failed ps_spawn stage.
    private func failure(stage: Int32, errno code: Int32, ids: Credentials) -> ProgramRunnerError {
        let path = arguments[0]
        let text = ProgramRunnerError.text(ofErrno: code)
        switch Int(stage) {
        case Int(PS_STAGE_EXEC):
            return ProgramRunnerError(.execFailed, path: path, user: user, group: group, errno: code)
        case Int(PS_STAGE_SETGROUPS):
            return ProgramRunnerError(.credentialsFailed, path: path, user: user, group: group, errno: code,
                                      message: "setgroups(\(ids.groups)): \(text)")
        case Int(PS_STAGE_SETGID):
            return ProgramRunnerError(.credentialsFailed, path: path, user: user, group: group, errno: code,
                                      message: "setgid(\(ids.gid)): \(text)")
        case Int(PS_STAGE_SETUID):
            return ProgramRunnerError(.credentialsFailed, path: path, user: user, group: group, errno: code,
                                      message: "setuid(\(ids.uid)): \(text)")
        case Int(PS_STAGE_PIDFD) where code == ENOSYS:
            return ProgramRunnerError(.unsupported, path: path, errno: code,
                                      message: "pidfd_open is not available (Linux 5.3 or later is needed)")
        default:
            let step = [
                Int(PS_STAGE_PIPE): "pipe2", Int(PS_STAGE_FORK): "clone", Int(PS_STAGE_PIDFD): "pidfd_open",
                Int(PS_STAGE_SETSID): "setsid", Int(PS_STAGE_STDIO): "/dev/null as standard streams",
            ][Int(stage)] ?? "spawn stage \(stage)"
            return ProgramRunnerError(.spawnFailed, path: path, errno: code, message: "\(step): \(text)")
        }
    }
}
