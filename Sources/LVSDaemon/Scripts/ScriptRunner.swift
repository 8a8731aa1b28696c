import Director
import Logging
import ProgramRunner

/// Starts notify and quorum scripts without waiting for them.
public protocol ScriptLauncher: Sendable {
    /// Starts `command`; a script that cannot start or fails is logged, never reported back.
    func launch(_ command: ScriptCommand)
}

/// Runs notify and quorum scripts through lvsd's one ``ProgramRunner``: directly (no shell), in a process group of
/// their own, with no inherited descriptors, as their `username [groupname]` (or `script_user`), without waiting.
/// A script that cannot start, or that fails, is logged.
public struct ScriptRunner: ScriptLauncher {
    let runner: ProgramRunner
    let logger: Logger

    /// Creates a launcher over `runner` that logs to `logger`.
    public init(runner: ProgramRunner, logger: Logger) {
        self.runner = runner
        self.logger = logger
    }

    public func launch(_ command: ScriptCommand) {
        guard !command.arguments.isEmpty else { return }
        let logger = self.logger
        runner.start(ProgramSpec(arguments: command.arguments, user: command.user, group: command.group)) { outcome in
            switch outcome {
            case .exited(0):
                break
            case .exited(let status):
                logger.warning("script \(command) exited with status \(status)")
            case .signalled(let signal):
                logger.warning("script \(command) was killed by signal \(signal)")
            case .timedOut:
                logger.warning("script \(command) timed out")
            case .failedToStart(let error):
                logger.error("cannot run script \(command): \(error)")
            }
        }
    }
}
