import ArgumentParser
import KeepalivedConfig

/// `lvsd withdraw [-f FILE] [--interface NAME]`: removes every address from the announce interface (the file's
/// `lvsd_announce_interface`, default `lvs0`), so that a stopped or killed lvsd leaves no VIP announced. The
/// systemd unit runs it as `ExecStopPost`. The VIPs stay on `lo`. Exits 0 when nothing is left announced (or the
/// interface does not exist), 1 otherwise.
public struct WithdrawCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "withdraw",
        abstract: "Remove every announced VIP from the announce interface (for ExecStopPost; lvsd need not run).")

    @Option(name: [.customShort("f", allowingJoined: true), .customLong("use-file")],
            help: ArgumentHelp("The configuration whose lvsd_announce_interface to clear.", valueName: "FILE"))
    var useFile: String = LvsdOptions.defaultConfigFile

    @Option(name: .customLong("interface"), help: ArgumentHelp("The interface (instead of the file's).", valueName: "NAME"))
    var interface: String?

    /// The daemon's other options, ignored, so that the unit can pass the same `$DAEMON_ARGS`.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var ignored: [String] = []

    public init() {}

    public func run() async throws {
        // A file with errors (or none) still names its interface when it can; else the default.
        let name = interface ?? KeepalivedConfigParser.parse(file: useFile).configuration.globalDefinitions.announceInterface
        do throws(AnnounceError) {
            let network = try NetlinkAnnounceNetwork()
            let result = try await network.sync(interface: name, wanted: [], local: [])
            StandardStreams.out(result.removed.isEmpty ? "nothing announced on \(name)\n"
                                : "withdrawn from \(name): \(result.removed.map(\.description).joined(separator: " "))\n")
        } catch {
            StandardStreams.errorLine("lvsd withdraw: \(error)")
            throw ExitCode(1)
        }
    }
}

extension WithdrawCommand: LvsdSubcommand {
    public func execute() async throws { try await run() }
}
