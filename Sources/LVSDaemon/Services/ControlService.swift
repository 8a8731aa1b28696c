import Logging
import Observability
import ServiceLifecycle

/// The root-only control socket (`lvsd status`, `lvsd reload`): serves until graceful shutdown, then stops
/// accepting. A socket that cannot be opened is logged and the daemon runs on without it.
public struct ControlService: ServiceLifecycle.Service {
    private let server: ControlServer
    private let logger: Logger

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - status: The status report in a format.
    ///   - reloads: Where `reload` requests go; the reply is their real outcome (`error` when refused).
    ///   - drain: Where `drain`, `drain status` and `undrain` go (refused without).
    public init(path: String, logger: Logger, status: @escaping @Sendable (StatusFormat) async -> String,
                reloads: ReloadRequests, drain: DirectorDrain? = nil) {
        self.logger = logger
        server = ControlServer(configuration: .init(path: path), logger: logger) { request in
            await Self.answer(request, status: status, reloads: reloads, drain: drain)
        }
    }

    /// The reply to one request.
    static func answer(_ request: ControlRequest, status: @Sendable (StatusFormat) async -> String,
                       reloads: ReloadRequests, drain: DirectorDrain? = nil) async -> ControlReply {
        switch request {
        case .status(let format):
            return .success(await status(format))
        case .reload:
            let outcome = await reloads.reload(from: "control socket")
            return outcome.isApplied ? .success(outcome.text) : .failure(outcome.text)
        case .drain, .drainStatus, .undrain:
            guard let drain else { return .failure("this lvsd has no announcements to drain") }
            return await drain.answer(request)
        case .help:
            return .success(ControlRequest.helpText)
        }
    }

    public func run() async {
        do throws(ControlServerError) { try await server.start() } catch {
            logger.warning("control socket: \(error); 'lvsd status' and 'lvsd reload' will not work")
            return
        }
        await waitForGracefulShutdown()
        await server.stop()
    }
}
