import CConnectShim
import CSpawnShim
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs external programs the way keepalived runs its scripts, for every place lvsd runs one (MISC_CHECK,
/// notify and quorum scripts, VRRP track and notify scripts):
///
/// - executed directly (`execve`, no shell, no PATH search: `arguments[0]` must be absolute), with the
///   environment `PATH=/usr/sbin:/usr/bin:/sbin:/bin` and nothing else;
/// - in its own session and process group, with stdin, stdout and stderr on /dev/null, no other inherited
///   descriptor, default signal dispositions and an empty signal mask, and SIGTERM when lvsd dies
///   (`PR_SET_PDEATHSIG`);
/// - as the spec's user and group, else the runner's default ones (keepalived's `script_user`), else as lvsd
///   itself (root); keepalived's fallback to a `keepalived_script` user is the caller's choice (see
///   ``keepalivedScriptUser``);
/// - with `enable_script_security`, refused when it would run as root and it, or a directory above it, is
///   writable by someone else;
/// - after ``ProgramSpec/timeout``, SIGTERM to its process group, SIGKILL ``ProgramSpec/killGrace`` later, and
///   SIGKILL to the group once the program has exited, so nothing it started outlives it.
///
/// One thread per runner (started with the first program, ended when the runner is gone and nothing runs)
/// forks the programs (clone with CLONE_VM | CLONE_VFORK, as posix_spawn does, so a large daemon's memory is not
/// copied) and waits for all of them at once on their pidfds (epoll, Linux 5.3 or later), with the
/// nearest TERM/KILL deadline as its timeout: no polling, and nothing blocks the caller or Swift's cooperative
/// pool. Completions run on that thread; keep them short.
public final class ProgramRunner: Sendable {
    /// `enable_script_security`: refuse root-run programs that others can modify.
    public var scriptSecurity: Bool { policy.scriptSecurity }
    /// keepalived's `script_user`: the user for specs without one (nil: lvsd's own user).
    public var defaultUser: String? { policy.defaultUser }
    /// The group for specs without a user or group (nil: the default user's primary group).
    public var defaultGroup: String? { policy.defaultGroup }

    private let policy: ProgramPolicy
    private let reaper: Reaper

    /// Creates a runner. Nothing starts until the first program does.
    ///
    /// - Parameters:
    ///   - scriptSecurity: keepalived's `enable_script_security`.
    ///   - defaultUser: keepalived's `script_user` user; nil runs programs without a user as lvsd's own user.
    ///   - defaultGroup: `script_user`'s group; nil: the default user's primary group.
    public init(scriptSecurity: Bool = false, defaultUser: String? = nil, defaultGroup: String? = nil) {
        policy = ProgramPolicy(scriptSecurity: scriptSecurity, defaultUser: defaultUser, defaultGroup: defaultGroup)
        reaper = Reaper(policy: policy)
    }

    deinit {
        reaper.stopWhenIdle()
    }

    /// Runs `spec` and returns how it ended. Suspends without blocking a thread. Cancelling the calling task
    /// does not stop the program; give it a ``ProgramSpec/timeout``.
    public func run(_ spec: ProgramSpec) async -> ProgramOutcome {
        await withCheckedContinuation { continuation in
            start(spec) { continuation.resume(returning: $0) }
        }
    }

    /// Starts `spec` and returns at once; `completion` gets the outcome, exactly once, on the runner's thread
    /// (or on the caller's, at once, when the runner cannot run programs at all). For callers on event loops.
    public func start(_ spec: ProgramSpec, completion: @escaping @Sendable (ProgramOutcome) -> Void) {
        reaper.enqueue(Launch(spec: spec, completion: completion))
    }

    /// Sends SIGKILL to the process group of every program still running (their outcome: `.signalled(SIGKILL)`,
    /// or `.timedOut` for one already past its timeout), and ends programs not started yet with
    /// ``ProgramRunnerError/Code/terminated``. For daemon shutdown; programs started afterwards run normally.
    public func terminateAll() {
        reaper.terminateAll()
    }

    /// The checks ``run(_:)`` makes before it forks, alone, for validating a configuration at load: arguments
    /// present, an absolute path to an existing regular file, a known user and group, and with script security,
    /// safe permissions. nil when `spec` passes. (Whether the file can be executed shows only when it is.)
    public func check(_ spec: ProgramSpec) -> ProgramRunnerError? {
        do {
            _ = try policy.prepare(spec)
            return nil
        } catch {
            return error
        }
    }

    /// keepalived's default script user, `keepalived_script`, when that user exists (keepalived runs scripts as
    /// it when `script_user` is not set); nil otherwise.
    public static var keepalivedScriptUser: String? {
        let name = "keepalived_script"
        return (try? Credentials.lookupUser(name, path: "")) == nil ? nil : name
    }
}

/// A program waiting to be forked.
struct Launch: Sendable {
    var spec: ProgramSpec
    var completion: @Sendable (ProgramOutcome) -> Void
    /// Earlier attempts that met ETXTBSY.
    var attempt = 0
    /// When a retry may run.
    var notBefore: ContinuousClock.Instant?
}
