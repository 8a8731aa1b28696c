import Director
import Foundation
import Logging

/// Starts notify and quorum scripts without waiting for them.
public protocol ScriptLauncher: Sendable {
    /// Starts `command`; a script that cannot start or fails is logged, never reported back.
    func launch(_ command: ScriptCommand)
}

/// Runs notify and quorum scripts directly (no shell), without waiting for them; logs a script that cannot start
/// or that fails.
public struct ScriptRunner: ScriptLauncher {
    let logger: Logger

    /// Creates a runner that logs to `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    public func launch(_ command: ScriptCommand) {
        guard let program = command.arguments.first, !program.isEmpty else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(command.arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        let logger = self.logger
        process.terminationHandler = { p in
            if p.terminationStatus != 0 {
                logger.warning("script \(command) exited with status \(p.terminationStatus)")
            }
        }
        do {
            try process.run()
        } catch {
            logger.error("cannot run script \(command): \(error)")
        }
    }
}
