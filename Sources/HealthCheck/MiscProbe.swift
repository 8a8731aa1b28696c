import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Process groups of MISC scripts still running, so that shutdown can end them.
let runningScripts = Mutex<Set<pid_t>>([])

/// Sends SIGKILL to the process group of every MISC script still running (at engine shutdown).
func killRunningScripts() {
    for pid in runningScripts.withLock({ $0 }) {
        kill(-pid, SIGKILL)
    }
}

/// Runs one `MISC_CHECK` attempt: spawns the program directly (no shell) in its own process group with
/// stdin/stdout/stderr on /dev/null, waits for it without blocking the event loop, and on `timeout` sends
/// SIGTERM to the group, then SIGKILL `killGrace` later.
func runMiscProbe(_ check: MiscCheck, defaultTimeout: Duration, on eventLoop: any EventLoop) -> EventLoopFuture<
    ProbeResult
> {
    let start = NIODeadline.now()
    let promise = eventLoop.makePromise(of: ProbeResult.self)
    spawnAndWait(check, defaultTimeout: defaultTimeout, start: start, attempt: 0, on: eventLoop, promise: promise)
    return promise.futureResult
}

/// Spawns (retrying briefly on ETXTBSY: a script being rewritten, or its write descriptor inherited by a
/// concurrent fork) and starts polling the child.
private func spawnAndWait(
    _ check: MiscCheck,
    defaultTimeout: Duration,
    start: NIODeadline,
    attempt: Int,
    on eventLoop: any EventLoop,
    promise: EventLoopPromise<ProbeResult>
) {
    let pid: pid_t
    switch spawnProcessGroup(path: check.path, arguments: check.arguments) {
    case .success(let child):
        pid = child
        runningScripts.withLock { _ = $0.insert(child) }
    case .failure(.scriptSpawn(_, ETXTBSY, _)) where attempt < 20:
        eventLoop.scheduleTask(in: .milliseconds(10)) {
            spawnAndWait(
                check,
                defaultTimeout: defaultTimeout,
                start: start,
                attempt: attempt + 1,
                on: eventLoop,
                promise: promise
            )
        }
        return
    case .failure(let failure):
        promise.succeed(.failed(failure, latency: start.elapsed()))
        return
    }
    let timeout = check.timeout ?? defaultTimeout
    let waiter = ChildWaiter(
        pid: pid,
        start: start,
        termAt: start + TimeAmount(timeout),
        killAt: start + TimeAmount(timeout + check.killGrace),
        giveUpAt: start + TimeAmount(timeout + check.killGrace + .seconds(10)),
        timeout: timeout,
        dynamic: check.dynamic,
        promise: promise
    )
    waiter.poll(on: eventLoop, interval: .milliseconds(1))
}

/// Polls one child with `waitpid(WNOHANG)`, backing off from 1 ms to 50 ms; sends the timeout signals.
private final class ChildWaiter: @unchecked Sendable {
    let pid: pid_t
    let start: NIODeadline
    let termAt: NIODeadline
    let killAt: NIODeadline
    let giveUpAt: NIODeadline
    let timeout: Duration
    let dynamic: Bool
    let promise: EventLoopPromise<ProbeResult>
    var sentTerm = false
    var sentKill = false

    init(
        pid: pid_t,
        start: NIODeadline,
        termAt: NIODeadline,
        killAt: NIODeadline,
        giveUpAt: NIODeadline,
        timeout: Duration,
        dynamic: Bool,
        promise: EventLoopPromise<ProbeResult>
    ) {
        self.dynamic = dynamic
        self.pid = pid
        self.start = start
        self.termAt = termAt
        self.killAt = killAt
        self.giveUpAt = giveUpAt
        self.timeout = timeout
        self.promise = promise
    }

    func poll(on eventLoop: any EventLoop, interval: TimeAmount) {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid {
            runningScripts.withLock { _ = $0.remove(pid) }
            finish(status: status)
            return
        }
        if reaped == -1 && errno != EINTR {
            runningScripts.withLock { _ = $0.remove(pid) }
            promise.succeed(
                .failed(.scriptSpawn(path: "pid \(pid)", errno: errno, message: "child lost"), latency: start.elapsed())
            )
            return
        }
        let now = NIODeadline.now()
        if !sentTerm && now >= termAt {
            sentTerm = true
            kill(-pid, SIGTERM)
        }
        if !sentKill && now >= killAt {
            sentKill = true
            kill(-pid, SIGKILL)
        }
        if now >= giveUpAt {
            // Unkillable (e.g. stuck in the kernel): stop waiting; it stays a zombie until it exits.
            runningScripts.withLock { _ = $0.remove(pid) }
            promise.succeed(.failed(.scriptTimeout(timeout), latency: start.elapsed()))
            return
        }
        let next = min(interval * 2, .milliseconds(50))
        eventLoop.scheduleTask(in: interval) { self.poll(on: eventLoop, interval: next) }
    }

    private func finish(status: Int32) {
        let latency = start.elapsed()
        if sentTerm {
            // Make sure nothing the script started outlives it.
            kill(-pid, SIGKILL)
            promise.succeed(.failed(.scriptTimeout(timeout), latency: latency))
            return
        }
        let termSignal = status & 0x7f
        if termSignal == 0 {
            promise.succeed(.exited((status >> 8) & 0xff, dynamic: dynamic, latency: latency))
        } else {
            promise.succeed(ProbeResult(failure: .scriptSignal(termSignal), latency: latency))
        }
    }
}

/// `posix_spawn`s `path` with `arguments` in a new process group, standard streams on /dev/null, every other
/// descriptor closed, and default signal dispositions. No shell is involved and PATH is not searched.
func spawnProcessGroup(path: String, arguments: [String]) -> Result<pid_t, ProbeFailure> {
    var attributes = posix_spawnattr_t()
    var actions = posix_spawn_file_actions_t()
    posix_spawnattr_init(&attributes)
    posix_spawn_file_actions_init(&actions)
    defer {
        posix_spawnattr_destroy(&attributes)
        posix_spawn_file_actions_destroy(&actions)
    }
    var defaultSignals = sigset_t()
    sigfillset(&defaultSignals)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // Leak none of the daemon's descriptors (sockets, files being written) into the script.
    if let closeFrom = addCloseFrom {
        _ = closeFrom(&actions, 3)
    }

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard rc == 0 else {
        return .failure(.scriptSpawn(path: path, errno: rc, message: String(cString: strerror(rc))))
    }
    return .success(pid)
}

/// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, looked up at run time (the Glibc module does not
/// export it); nil where the C library lacks it.
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(
        symbol,
        to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self
    )
}()
