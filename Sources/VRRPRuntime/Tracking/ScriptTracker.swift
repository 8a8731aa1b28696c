import Logging
import ProgramRunner
import Synchronization

/// Runs the `vrrp_script`s: each every `interval` through lvsd's one ``ProgramRunner`` (no shell, own process
/// group, its user, killed at its timeout), counting `rise` successes and `fall` failures, and reports each change
/// of state with keepalived's log lines (`VRRP_Script(chk) succeeded`, `VRRP_Script(chk) failed (exited with status
/// 1)`).
final class ScriptTracker: Sendable {
    private let scripts: [TrackScriptPlan]
    private let runner: ProgramRunner
    private let logger: Logger
    private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])

    init(scripts: [TrackScriptPlan], runner: ProgramRunner, logger: Logger) {
        self.scripts = scripts
        self.runner = runner
        self.logger = logger
    }

    /// The state each script starts in: down with `init_fail`, up otherwise.
    var initialStates: [String: Bool] {
        Dictionary(uniqueKeysWithValues: scripts.map { ($0.name, !$0.initFail) })
    }

    /// Starts every script's loop; `changed` gets `(name, up)` on every change of state.
    func start(_ changed: @escaping @Sendable (String, Bool) async -> Void) {
        let started = scripts.map { script in
            Task { [runner, logger] in
                var state = ScriptVerdicts(rise: script.rise, fall: script.fall, up: !script.initFail)
                var lastStatus: Int32?
                while !Task.isCancelled {
                    let outcome = await runner.run(script.program)
                    if Task.isCancelled { return }
                    let ok: Bool
                    switch outcome {
                    case .exited(let status):
                        ok = status == 0
                        if status != lastStatus, lastStatus != nil || status != 0 {
                            logger.info("Script `\(script.name)` now returning \(status)")
                        }
                        lastStatus = status
                    case .signalled(let signal):
                        ok = false
                        logger.info("Script `\(script.name)` was killed by signal \(signal)")
                    case .timedOut:
                        ok = false
                        logger.warning("Process [\(script.name)] timed out")
                    case .failedToStart(let error):
                        ok = false
                        logger.error("VRRP_Script(\(script.name)) cannot run: \(error)")
                    }
                    if let up = state.record(success: ok) {
                        if up {
                            logger.info("VRRP_Script(\(script.name)) succeeded")
                        } else {
                            let why = switch outcome {
                            case .exited(let s): "exited with status \(s)"
                            case .timedOut: "timed out"
                            case .signalled(let s): "killed by signal \(s)"
                            case .failedToStart: "could not start"
                            }
                            logger.info("VRRP_Script(\(script.name)) failed (\(why))")
                        }
                        await changed(script.name, up)
                    }
                    try? await Task.sleep(for: script.interval)
                }
            }
        }
        tasks.withLock { $0 += started }
    }

    /// Stops every loop (a script running now is left to its timeout).
    func stop() {
        for t in tasks.withLock({ t in defer { t = [] }; return t }) { t.cancel() }
    }
}

/// keepalived's rise/fall counting for one script: `fall` failures in a row take an up script down, `rise`
/// successes in a row bring a down script up. Pure.
struct ScriptVerdicts: Hashable, Sendable {
    let rise: Int
    let fall: Int
    private(set) var up: Bool
    private var streak = 0

    init(rise: Int, fall: Int, up: Bool) {
        self.rise = max(rise, 1)
        self.fall = max(fall, 1)
        self.up = up
    }

    /// Records one run; returns the new state when it changed.
    mutating func record(success: Bool) -> Bool? {
        if success == up {
            streak = 0
            return nil
        }
        streak += 1
        guard streak >= (up ? fall : rise) else { return nil }
        up = success
        streak = 0
        return up
    }
}
