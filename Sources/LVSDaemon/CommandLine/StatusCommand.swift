import ArgumentParser
import Observability

/// `lvsd status [--json] [--socket PATH]`: the running daemon's status dump, over its control socket.
public struct StatusCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print the running lvsd's status (virtual servers, real servers, checks).")

    @Flag(name: [.customShort("j"), .long], help: "JSON (see docs/lvsd-status.md) instead of text.")
    var json = false

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("The control socket.", valueName: "PATH"))
    var socket: String = LvsdOptions.defaultControlSocket

    public init() {}

    public func run() async throws {
        let status = await ControlCall.send(.status(json ? .json : .text), socket: socket, command: "status")
        if status != 0 { throw ExitCode(status) }
    }
}

/// `lvsd reload [--socket PATH]`: re-read the configuration, as SIGHUP does, and say what happened. Exits 0 when
/// the new configuration was applied and 1 when it was refused (the running configuration is then unchanged).
public struct ReloadCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read the configuration (as SIGHUP); exits non-zero when it was refused.")

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("The control socket.", valueName: "PATH"))
    var socket: String = LvsdOptions.defaultControlSocket

    public init() {}

    public func run() async throws {
        let status = await ControlCall.send(.reload, socket: socket, command: "reload")
        if status != 0 { throw ExitCode(status) }
    }
}

/// A sub-command of lvsd (`status`, `reload`, `genhash`), run by the executable once parsed.
public protocol LvsdSubcommand: Sendable {
    /// Does what the sub-command says; throws `ExitCode` for a non-zero exit.
    func execute() async throws
}

extension StatusCommand: LvsdSubcommand {
    public func execute() async throws { try await run() }
}

extension ReloadCommand: LvsdSubcommand {
    public func execute() async throws { try await run() }
}

/// One request over the control socket, printed as `lvsd status` and `lvsd reload` print it.
enum ControlCall {
    /// Sends `request`; prints the body on standard output when it succeeded, on standard error otherwise;
    /// returns the exit status (0 or 1).
    static func send(_ request: ControlRequest, socket: String, command: String) async -> Int32 {
        do throws(ControlClientError) {
            let reply = try await ControlClient.send(request, path: socket)
            if reply.isSuccess {
                StandardStreams.out(reply.body)
                return 0
            }
            var body = reply.body
            if body.hasSuffix("\n") { body.removeLast() }
            StandardStreams.errorLine("lvsd \(command): \(body)")
            return 1
        } catch {
            StandardStreams.errorLine("lvsd \(command): \(error)")
            return 1
        }
    }
}
