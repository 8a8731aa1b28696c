#if canImport(Glibc)
import Glibc
#endif

/// Detaching without `-n`: lvsd re-runs itself with `--dont-fork` in a new session (posix_spawn, never `fork()` in a
/// Swift process), with standard input and output on /dev/null, and the parent exits. Standard error goes to
/// /dev/null too unless lvsd logs to the console (`-l`): a daemon writes nothing to a terminal it inherited.
public enum Daemonizer {
    /// Starts the detached copy; returns the exit status for this (parent) process.
    public static func detach(keepStandardError: Bool) -> Int32 {
        var arguments = CommandLine.arguments
        arguments.insert("--dont-fork", at: 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        if !keepStandardError { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, environ)
        if rc != 0 {
            StandardStreams.errorLine("lvsd: cannot start in the background: \(String(cString: strerror(rc)))")
            return 1
        }
        return 0
    }
}
