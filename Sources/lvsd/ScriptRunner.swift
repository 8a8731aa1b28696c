import Director
import Foundation
import Logging

/// Runs notify and quorum scripts directly (no shell), without waiting for them; logs a script that cannot start
/// or that fails.
struct ScriptRunner: Sendable {
    let logger: Logger

    func run(_ command: ScriptCommand) {
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
