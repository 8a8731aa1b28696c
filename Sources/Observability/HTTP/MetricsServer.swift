import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What `/healthz` reports: the daemon's own judgement of whether it works.
public enum Liveness: Sendable, Hashable {
    /// `200 ok`.
    case alive
    /// `503` with the reason as the body (say, "netlink socket closed" or "config never applied").
    case unhealthy(String)
}

/// lvsd's HTTP endpoint: `GET /metrics` in the Prometheus text format and `GET /healthz`.
///
/// | Request | Answer |
/// | --- | --- |
/// | `GET /metrics` | `200`, `text/plain; version=0.0.4; charset=utf-8`, the render closure's text |
/// | `GET /healthz` | `200 ok`, or `503` with the reason from the liveness closure (or its timeout) |
/// | `HEAD` of either | the same status and headers, no body |
/// | any other path | `404` |
/// | any other method | `405` with `Allow: GET, HEAD` |
/// | a malformed request | `400`, connection closed |
/// | more than ``MetricsServerConfiguration/maxRequestBytes`` | `431`, connection closed |
///
/// Keep-alive is honoured; a connection idle for ``MetricsServerConfiguration/idleTimeout`` is closed (a request
/// being answered does not count as idle, however long its answer takes).
///
/// ```swift
/// let server = MetricsServer(
///     configuration: try MetricsServerConfiguration(listenAddress: "127.0.0.1:9595"),
///     metrics: metrics,
///     logger: logger,
///     liveness: { await daemon.isHealthy ? .alive : .unhealthy("kernel table not applied") }
/// )
/// let address = try await server.start()
/// ...
/// await server.stop()
/// ```
public final class MetricsServer: Sendable {
    /// Produces the `/metrics` body.
    public typealias Render = @Sendable () async -> String
    /// Produces the `/healthz` answer.
    public typealias LivenessCheck = @Sendable () async -> Liveness

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private enum State {
        case idle
        case starting
        case running(server: any Channel, acceptLoop: Task<Void, Never>, address: SocketAddress?)
        case stopped
    }

    /// The configuration the server was created with.
    public let configuration: MetricsServerConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let render: Render
    private let liveness: LivenessCheck
    private let state = Mutex(State.idle)
    private let connections = ConnectionRegistry()

    /// Creates a server over any render closure; nothing is opened until ``start()``.
    ///
    /// - Parameters:
    ///   - configuration: Address, port and bounds.
    ///   - group: The event loops to run on; NIO's shared singleton by default.
    ///   - logger: Where bind and connection errors are logged.
    ///   - render: The `/metrics` body, in the Prometheus text format.
    ///   - liveness: The `/healthz` answer; always ``Liveness/alive`` by default.
    public init(
        configuration: MetricsServerConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger? = nil,
        render: @escaping Render,
        liveness: @escaping LivenessCheck = { .alive }
    ) {
        self.configuration = configuration
        self.group = group
        self.logger = logger ?? .silent
        self.render = render
        self.liveness = liveness
    }

    /// Creates a server that serves ``LvsdMetrics/render()``.
    public convenience init(
        configuration: MetricsServerConfiguration,
        metrics: LvsdMetrics,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger? = nil,
        liveness: @escaping LivenessCheck = { .alive }
    ) {
        self.init(
            configuration: configuration,
            group: group,
            logger: logger,
            render: { metrics.render() },
            liveness: liveness
        )
    }

    /// The address the server listens on (with the chosen port when the configuration said 0), once started.
    public var localAddress: SocketAddress? {
        self.state.withLock { state in
            guard case .running(_, _, let address) = state else { return nil }
            return address
        }
    }

    /// Binds and starts serving.
    ///
    /// - Returns: The bound address.
    /// - Throws: ``MetricsServerError`` when the address cannot be bound or the server was already started.
    @discardableResult
    public func start() async throws(MetricsServerError) -> SocketAddress {
        try self.state.withLock { (state) throws(MetricsServerError) in
            guard case .idle = state else { throw MetricsServerError(kind: .alreadyStarted) }
            state = .starting
        }
        var host = self.configuration.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let printable = host.contains(":") ? "[\(host)]:\(self.configuration.port)" : "\(host):\(self.configuration.port)"
        let configuration = self.configuration
        let server: NIOAsyncChannel<(Connection, RequestByteBudget), Never>
        do {
            let address = try SocketAddress(ipAddress: host, port: configuration.port)
            server = try await ServerBootstrap(group: self.group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let budget = RequestByteBudget(limit: configuration.maxRequestBytes)
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(IdleStateHandler(readTimeout: TimeAmount(configuration.idleTimeout)))
                        try sync.addHandler(RequestSizeLimitHandler(budget: budget))
                        try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                        try sync.addHandler(IdleCloseHandler())
                        let connection = try Connection(wrappingChannelSynchronously: channel)
                        return (connection, budget)
                    }
                }
        } catch {
            self.state.withLock { $0 = .idle }
            throw MetricsServerError(kind: .bindFailed(address: printable, reason: Self.reason(error)))
        }
        guard let bound = server.channel.localAddress else {
            try? await server.channel.close()
            self.state.withLock { $0 = .idle }
            throw MetricsServerError(kind: .bindFailed(address: printable, reason: "the bound socket has no address"))
        }
        let render = self.render
        let liveness = self.liveness
        let logger = self.logger
        let connections = self.connections
        let acceptLoop = Task {
            do {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in inbound {
                            group.addTask {
                                await Self.serve(
                                    connection,
                                    configuration: configuration,
                                    registry: connections,
                                    render: render,
                                    liveness: liveness,
                                    logger: logger
                                )
                            }
                        }
                    }
                }
            } catch {
                logger.debug("metrics accept loop ended", metadata: ["error": "\(error)"])
            }
        }
        self.state.withLock { $0 = .running(server: server.channel, acceptLoop: acceptLoop, address: bound) }
        logger.debug("metrics endpoint listening", metadata: ["address": "\(printable)"])
        return bound
    }

    /// Stops accepting, closes idle connections, lets requests in progress finish for up to
    /// ``MetricsServerConfiguration/shutdownGracePeriod``, then closes whatever is left.
    public func stop() async {
        let running: (any Channel, Task<Void, Never>)? = self.state.withLock { state in
            defer { state = .stopped }
            guard case .running(let server, let loop, _) = state else { return nil }
            return (server, loop)
        }
        guard let (server, acceptLoop) = running else { return }
        try? await server.close()
        self.connections.beginShutdown()
        let finished = await firstResult(within: self.configuration.shutdownGracePeriod) {
            await acceptLoop.value
            return true
        }
        if finished == nil {
            self.connections.closeAll()
            await acceptLoop.value
        }
    }

    // MARK: Connections

    private static func serve(
        _ entry: (Connection, RequestByteBudget),
        configuration: MetricsServerConfiguration,
        registry: ConnectionRegistry,
        render: @escaping Render,
        liveness: @escaping LivenessCheck,
        logger: Logger
    ) async {
        let (connection, budget) = entry
        let id = registry.add(connection.channel)
        defer { registry.remove(id) }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                    case .body:
                        break  // Counted against the budget in front of the decoder; otherwise ignored.
                    case .end:
                        guard let request = head else { continue }
                        head = nil
                        let response = await Self.respond(
                            to: request,
                            configuration: configuration,
                            render: render,
                            liveness: liveness
                        )
                        let keepAlive = request.isKeepAlive && !registry.isShuttingDown
                        try await Self.write(response, for: request, keepAlive: keepAlive, to: outbound)
                        budget.reset()
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("metrics connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    struct Response: Sendable {
        var status: HTTPResponseStatus
        var contentType = "text/plain; charset=utf-8"
        var body: String
        var extraHeaders: [(String, String)] = []
    }

    static func respond(
        to request: HTTPRequestHead,
        configuration: MetricsServerConfiguration,
        render: @escaping Render,
        liveness: @escaping LivenessCheck
    ) async -> Response {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard request.method == .GET || request.method == .HEAD else {
            return Response(
                status: .methodNotAllowed,
                body: "method \(request.method.rawValue) not allowed; use GET\n",
                extraHeaders: [("Allow", "GET, HEAD")]
            )
        }
        switch path {
        case "/metrics":
            return Response(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: await render())
        case "/healthz":
            switch await firstResult(within: configuration.livenessTimeout, liveness) {
            case .alive:
                return Response(status: .ok, body: "ok\n")
            case .unhealthy(let reason):
                return Response(status: .serviceUnavailable, body: reason.hasSuffix("\n") ? reason : reason + "\n")
            case nil:
                return Response(status: .serviceUnavailable, body: "liveness check timed out\n")
            }
        default:
            return Response(status: .notFound, body: "not found; try /metrics or /healthz\n")
        }
    }

    private static func write(
        _ response: Response,
        for request: HTTPRequestHead,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let body = ByteBuffer(string: response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        for (name, value) in response.extraHeaders {
            headers.add(name: name, value: value)
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        try await outbound.write(.head(head))
        if request.method != .HEAD {
            try await outbound.write(.body(.byteBuffer(body)))
        }
        try await outbound.write(.end(nil))
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return error.description }
        return String(describing: error)
    }
}

/// The open connections of a ``MetricsServer``, so a graceful stop can close the idle ones at once.
///
/// Whether a connection is idle is decided on its event loop by ``IdleCloseHandler``, which sees each request
/// arrive before any task gets to it.
final class ConnectionRegistry: Sendable {
    private struct State {
        var next = 0
        var entries: [Int: any Channel] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())

    var isShuttingDown: Bool { self.state.withLock { $0.shuttingDown } }

    func add(_ channel: any Channel) -> Int {
        let (id, stopping) = self.state.withLock { state in
            state.next += 1
            state.entries[state.next] = channel
            return (state.next, state.shuttingDown)
        }
        if stopping { IdleCloseHandler.closeWhenIdle(channel) }
        return id
    }

    func remove(_ id: Int) {
        _ = self.state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Marks the server as stopping and closes every connection between requests; the others close once
    /// answered (their answer says `Connection: close`).
    func beginShutdown() {
        let all = self.state.withLock { state in
            state.shuttingDown = true
            return Array(state.entries.values)
        }
        for channel in all { IdleCloseHandler.closeWhenIdle(channel) }
    }

    func closeAll() {
        let all = self.state.withLock { Array($0.entries.values) }
        for channel in all { channel.close(promise: nil) }
    }
}
