import NIOCore
import ProgramRunner

/// Runs one `MISC_CHECK` attempt through `runner` (no shell, own process group, standard streams on /dev/null,
/// the check's user and group): on `timeout` (default `defaultTimeout`, the checker's delay_loop) the group gets
/// SIGTERM, then SIGKILL `killGrace` later. The future completes on `eventLoop`.
func runMiscProbe(
    _ check: MiscCheck,
    defaultTimeout: Duration,
    runner: ProgramRunner,
    on eventLoop: any EventLoop
) -> EventLoopFuture<ProbeResult> {
    let start = NIODeadline.now()
    let promise = eventLoop.makePromise(of: ProbeResult.self)
    let timeout = check.timeout ?? defaultTimeout
    let spec = ProgramSpec(
        arguments: [check.path] + check.arguments,
        user: check.user,
        group: check.group,
        timeout: timeout,
        killGrace: check.killGrace
    )
    runner.start(spec) { outcome in
        promise.succeed(ProbeResult(outcome, of: check, timeout: timeout, latency: start.elapsed()))
    }
    return promise.futureResult
}

extension ProbeResult {
    /// A MISC_CHECK result: exit 0 succeeds; with `misc_dynamic`, so do 2...255 (weight `code - 2`); any other
    /// exit, a signal, a timeout or a failure to start fails.
    init(_ outcome: ProgramOutcome, of check: MiscCheck, timeout: Duration, latency: Duration) {
        switch outcome {
        case .exited(let code):
            self = .exited(code, dynamic: check.dynamic, latency: latency)
        case .signalled(let signal):
            self.init(failure: .scriptSignal(signal), latency: latency)
        case .timedOut:
            self.init(failure: .scriptTimeout(timeout), latency: latency)
        case .failedToStart(let error):
            // With an errno, its text (keepalived's wording: `failed (No such file or directory, errno 2)`);
            // without one (unknown user, unsafe permissions, ...), the whole sentence, which names the culprit.
            let message = error.errno == nil ? error.description : error.message
            self.init(failure: .scriptSpawn(path: error.path, errno: error.errno ?? 0, message: message),
                      latency: latency)
        }
    }
}
