#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// keepalived's `enable_script_security` test (lib/notify.c, `check_script_secure`): a program run as root (uid
/// or gid 0, or set-uid/set-gid root) must not be replaceable by anyone else, so neither it nor any directory
/// above it may be owned by a non-root user, writable by a non-root group, or writable by others. A sticky
/// directory (such as /tmp, 1777) is accepted as keepalived accepts it: others cannot rename what root owns there.
enum ScriptSecurity {
    /// Checks `path` (absolute) for a program that runs with `uid` and `gid`. Every prefix of the path as written
    /// is checked (stat follows symbolic links), and every prefix of its fully resolved form, so neither a link
    /// nor its target can sit in a directory someone else can write.
    static func check(path: String, uid: uid_t, gid: gid_t) throws(ProgramRunnerError) {
        let file = try status(of: path, program: path)
        let setRoot = (file.st_uid == 0 && file.st_mode & (S_ISUID | S_IXUSR) == S_ISUID | S_IXUSR)
            || (file.st_gid == 0 && file.st_mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP)
        guard uid == 0 || gid == 0 || setRoot else { return }
        try checkPrefixes(of: path, program: path)
        guard let resolved = realpath(path, nil) else {
            throw ProgramRunnerError(.notFound, path: path, errno: errno)
        }
        let real = String(cString: resolved)
        free(resolved)
        if real != path { try checkPrefixes(of: real, program: path) }
    }

    /// Checks `/`, `/a`, `/a/b`, ... up to `path` itself.
    private static func checkPrefixes(of path: String, program: String) throws(ProgramRunnerError) {
        var prefix = ""
        var prefixes = ["/"]
        for component in path.split(separator: "/") {
            prefix += "/" + component
            prefixes.append(prefix)
        }
        for item in prefixes {
            if let reason = unsafeReason(try status(of: item, program: program)) {
                throw ProgramRunnerError(.unsafePermissions, path: program, message: "'\(item)' \(reason)")
            }
        }
    }

    /// Why a file or directory with this status makes a root program unsafe; nil when it does not.
    static func unsafeReason(_ status: stat) -> String? {
        if status.st_uid != 0 { return "is owned by uid \(status.st_uid)" }
        let isDirectory = status.st_mode & S_IFMT == S_IFDIR
        if isDirectory && status.st_mode & S_ISVTX != 0 { return nil }
        if status.st_gid != 0 && status.st_mode & S_IWGRP != 0 { return "is writable by group \(status.st_gid)" }
        if status.st_mode & S_IWOTH != 0 { return "is writable by others" }
        return nil
    }

    /// stat(2), or a `notFound` error naming `program`.
    static func status(of path: String, program: String) throws(ProgramRunnerError) -> stat {
        var result = stat()
        guard stat(path, &result) == 0 else {
            let code = errno
            let message = path == program ? nil : "\(path): \(ProgramRunnerError.text(ofErrno: code))"
            throw ProgramRunnerError(.notFound, path: program, errno: code, message: message)
        }
        return result
    }
}
