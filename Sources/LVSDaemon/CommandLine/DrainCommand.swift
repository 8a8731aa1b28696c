import ArgumentParser
import Observability

/// `lvsd drain [--timeout SECS] [--no-wait] [--socket PATH]`: withdraws every announcement of the running lvsd
/// (ECMP director tier), then waits until no connection to the announced VIPs is left in the IPVS table, or the
/// timeout. Exits 0 when drained and empty, 2 on the timeout (connections remain; the announcements stay
/// withdrawn), 1 on an error.
public struct DrainCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Withdraw every announcement and wait until the VIPs' connections end (exit 2 on the timeout).")

    @Option(name: [.customShort("T"), .long], help: ArgumentHelp("Seconds to wait for the connections to end.", valueName: "SECS"))
    var timeout: Double = 300

    @Flag(name: .customLong("no-wait"), help: "Withdraw and return at once.")
    var noWait = false

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("The control socket.", valueName: "PATH"))
    var socket: String = LvsdOptions.defaultControlSocket

    public init() {}

    public func validate() throws {
        guard timeout >= 0, timeout.isFinite else { throw ValidationError("--timeout must be a number of seconds >= 0") }
    }

    public func run() async throws {
        let status = await ControlCall.send(.drain, socket: socket, command: "drain")
        if status != 0 { throw ExitCode(status) }
        if noWait { return }
        let start = ContinuousClock.now
        let limit = Duration.milliseconds(Int64(timeout * 1000))
        var last: Int?
        while true {
            do throws(ControlClientError) {
                let reply = try await ControlClient.send(.drainStatus, path: socket)
                if reply.isSuccess, let n = Self.connections(reply.body) { last = n }
            } catch {
                StandardStreams.errorLine("lvsd drain: \(error)")
                throw ExitCode(1)
            }
            let waited = ContinuousClock.now - start
            if last == 0 {
                StandardStreams.out("no connection left to the VIPs after \(waited.components.seconds) s; lvsd can be stopped\n")
                return
            }
            if waited >= limit {
                StandardStreams.errorLine("lvsd drain: timeout after \(timeout) s: \(last.map(String.init) ?? "an unknown number of") connections remain (the announcements stay withdrawn)")
                throw ExitCode(2)
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// `connections N` → N.
    static func connections(_ body: String) -> Int? {
        for line in body.split(separator: "\n") where line.hasPrefix("connections ") {
            return Int(line.dropFirst("connections ".count))
        }
        return nil
    }
}

/// `lvsd undrain [--socket PATH]`: announces again what is healthy.
public struct UndrainCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "undrain", abstract: "Announce again every healthy virtual server (after 'lvsd drain').")

    @Option(name: [.customShort("s"), .long], help: ArgumentHelp("The control socket.", valueName: "PATH"))
    var socket: String = LvsdOptions.defaultControlSocket

    public init() {}

    public func run() async throws {
        let status = await ControlCall.send(.undrain, socket: socket, command: "undrain")
        if status != 0 { throw ExitCode(status) }
    }
}

extension DrainCommand: LvsdSubcommand {
    public func execute() async throws { try await run() }
}

extension UndrainCommand: LvsdSubcommand {
    public func execute() async throws { try await run() }
}
