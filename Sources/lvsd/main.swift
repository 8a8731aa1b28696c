// lvsd: the keepalived-compatible LVS director. This file parses the command line, sets up logging and runs;
// everything else is in the LVSDaemon library.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import LVSDaemon
import Logging

StartupClock.begin()
let parsed: any ParsableCommand
/// A command-line error: the message and usage on stderr, exit 1 as keepalived (help and version exit 0).
func fail(_ error: any Error) -> Never {
    if LvsdCommand.exitCode(for: error) == .success { LvsdCommand.exit(withError: error) }
    StandardStreams.errorLine(LvsdCommand.fullMessage(for: error))
    exit(1)
}

do {
    parsed = try LvsdCommand.parseAsRoot()
} catch {
    fail(error)
}

guard let root = parsed as? DaemonCommand else {
    // A sub-command: status, reload, genhash, help.
    do {
        if let command = parsed as? any LvsdSubcommand {
            try await command.execute()
        } else {
            // A help request: the sub-command's help, or at the top the sub-commands and the daemon's options.
            StandardStreams.out(LvsdCommand.helpText(forArguments: Array(CommandLine.arguments.dropFirst())) + "\n")
        }
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch {
        fail(error)
    }
    exit(0)
}
if root.version {
    StandardStreams.out(LvsdCommand.versionText + "\n")
    exit(0)
}
let options: LvsdOptions
do throws(CommandLineError) { options = try root.options() } catch {
    fail(ValidationError(error.description))
}
if options.configTest {
    let outcome = ConfigTest.run(path: options.configFile)
    for message in outcome.messages { StandardStreams.errorLine(message) }
    exit(outcome.exitStatus)
}
LoggingSystem.bootstrap(DaemonLog.factory(options))
exit(await StartupSequence.launch(options, logger: Logger(label: "lvsd")))
