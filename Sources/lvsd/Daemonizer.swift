#if canImport(Glibc)
import Glibc
#endif

/// Detaching without `-n`: lvsd re-runs itself with `--dont-fork` in a new session (posix_spawn, never `fork()` in a
/// Swift process), with standard input and output on /dev/null, and the parent exits.
enum Daemonizer {
    static func detach() -> Int32 {
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
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, environ)
        if rc != 0 {
            printError("lvsd: cannot start in the background: \(String(cString: strerror(rc)))")
            return 1
        }
        return 0
    }
}
