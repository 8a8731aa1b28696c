// lvsd: the keepalived-compatible LVS director.
//
// This file owns the command line (keepalived's options) and the config test (`-t`). The daemon itself lives in
// `programTable(options:config:prepared:configReadAt:)` and `runDaemon(_:)` (Daemon.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import KeepalivedConfig

/// lvsd's version string.
let lvsdVersion = "lvsd 0.1.0 (keepalived.conf compatible)"

/// Writes one line to standard error.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written <= 0 { break }
        offset += written
    }
}

StartupClock.begin()
let command: LvsdCommand
do {
    command = try LvsdCommandLine.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    printError("lvsd: \(error.description)")
    printError("Try 'lvsd --help' for more information.")
    exit(1)
}

switch command {
case .help:
    print(LvsdCommandLine.usage, terminator: "")
    exit(0)
case .version:
    print(lvsdVersion)
    exit(0)
case .subcommand(let name, let arguments):
    exit(await runSubcommand(name, arguments: arguments))
case .run(let options):
    if options.configTest {
        let outcome = ConfigTest.run(path: options.configFile)
        for message in outcome.messages { printError(message) }
        exit(outcome.exitStatus)
    }
    // In the foreground (or the detached child), signals and the netlink socket are set up on another core while
    // this thread reads the configuration.
    let prepared = options.dontFork ? StartupPreparation() : nil
    let result = KeepalivedConfigParser.parse(file: options.configFile)
    let configReadAt = StartupClock.milliseconds()
    for diagnostic in result.diagnostics { printError(diagnostic.formatted()) }
    if result.hasErrors {
        printError("lvsd: \(options.configFile): configuration has errors; not starting")
        exit(1)
    }
    guard let prepared else {
        exit(Daemonizer.detach())
    }
    // The table is programmed here, on the main thread, before the checkers, metrics and control socket start.
    guard let programmed = programTable(options: options, config: result.configuration, prepared: prepared,
                                        configReadAt: configReadAt) else {
        exit(1)
    }
    exit(await runDaemon(programmed))
}
