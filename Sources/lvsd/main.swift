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
do {
    parsed = try LvsdCommand.parseAsRoot()
} catch {
    LvsdCommand.exit(withError: error)
}

guard let root = parsed as? DaemonCommand else {
    // A sub-command: status, reload, genhash, help.
    do {
        if let command = parsed as? any LvsdSubcommand {
            try await command.execute()
        } else {
            var command = parsed  // -h / help
            try command.run()
        }
    } catch {
        LvsdCommand.exit(withError: error)
    }
    exit(0)
}
if root.version {
    StandardStreams.out(LvsdCommand.versionText + "\n")
    exit(0)
}
let options: LvsdOptions
do throws(CommandLineError) { options = try root.options() } catch {
    LvsdCommand.exit(withError: ValidationError(error.description))
}
if options.configTest {
    let outcome = ConfigTest.run(path: options.configFile)
    for message in outcome.messages { StandardStreams.errorLine(message) }
    exit(outcome.exitStatus)
}
LoggingSystem.bootstrap(DaemonLog.factory(options))
exit(await StartupSequence.launch(options, logger: Logger(label: "lvsd")))
