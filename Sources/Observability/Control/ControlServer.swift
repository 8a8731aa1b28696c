#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// lvsd's control socket: a Unix stream socket that answers one request line per connection.
///
/// The daemon creates it with a closure that produces the replies, starts it, and stops it on shutdown:
///
/// ```swift
/// let control = ControlServer(configuration: .init(path: "/run/lvsd.sock"), logger: logger) { request in
///     switch request {
///     case .status(.text): return .success(await director.statusReport().renderText())
///     case .status(.json): return .success(await director.statusReport().renderJSON())
///     case .reload: return await director.reload()   // .success("reloaded\n") or .failure(reason)
///     case .help: return .success(ControlRequest.helpText)  // not called: the server answers help itself
///     }
/// }
/// try await control.start()
/// ...
/// await control.stop()
/// ```
///
/// **Who may connect.** The socket file is created with mode 0600, owned by the daemon's user (root). On top of
/// that the server reads each peer's credentials (`SO_PEERCRED`) and refuses any whose uid is not in
/// ``Configuration/allowedUIDs``: by default root (0) and the daemon's own effective uid, which is root in
/// production and lets the tests, run as any user, talk to a server they started. A refused peer gets a
/// `denied` reply naming its uid.
///
/// **A stale socket** left by a crashed daemon (a socket file nobody accepts on) is replaced at start; a socket
/// another live process accepts on fails ``start()`` with ``ControlServerError/Kind/alreadyInUse``, and a file
/// that is not a socket is never removed.
///
/// **Bounds.** A request line is at most ``Configuration/maxRequestLength`` bytes and must arrive within
/// ``Configuration/requestTimeout``; the reply closure gets ``Configuration/replyTimeout`` before the client is
/// told it timed out. Invalid lines (empty, unknown command, too long, not UTF-8) get an `error` reply that
/// says why; the closure is not called for them, nor for `help`.
public final class ControlServer: Sendable {
    /// Where lvsd's control socket lives unless configured otherwise.
    public static let defaultPath = "/run/lvsd.sock"

    /// Produces the reply to a valid request (never called for `help`).
    public typealias Handler = @Sendable (ControlRequest) async -> ControlReply

    /// Where and how the server listens.
    public struct Configuration: Sendable {
        /// The socket path; ``ControlServer/defaultPath`` by default.
        public var path: String
        /// The peer uids allowed to send requests: root and the daemon's own effective uid by default.
        public var allowedUIDs: Set<UInt32>
        /// The longest request line accepted, in bytes, newline excluded.
        public var maxRequestLength: Int
        /// How long a client has, from connecting, to send its request line.
        public var requestTimeout: Duration
        /// How long the reply closure may take before the client gets a timeout error.
        public var replyTimeout: Duration
        /// The file mode of the socket.
        public var mode: UInt32

        /// Creates a configuration; every value but the path has a default.
        public init(
            path: String = ControlServer.defaultPath,
            allowedUIDs: Set<UInt32> = [0, UInt32(geteuid())],
            maxRequestLength: Int = 256,
            requestTimeout: Duration = .seconds(5),
            replyTimeout: Duration = .seconds(30),
            mode: UInt32 = 0o600
        ) {
            self.path = path
            self.allowedUIDs = allowedUIDs
            self.maxRequestLength = maxRequestLength
            self.requestTimeout = requestTimeout
            self.replyTimeout = replyTimeout
            self.mode = mode
        }
    }

    private enum State {
        case idle
        case starting
        case running(channel: any Channel, acceptLoop: Task<Void, Never>, file: UnixSocketFile.FileIdentity?)
        case stopped
    }

    /// The configuration the server was created with.
    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let handler: Handler
    private let state = Mutex(State.idle)

    /// Creates a server; nothing is opened until ``start()``.
    ///
    /// - Parameters:
    ///   - configuration: Path, allowed peers and bounds.
    ///   - group: The event loops to run on; NIO's shared singleton by default.
    ///   - logger: Where refused peers and connection errors are logged (at notice and debug level).
    ///   - handler: Produces the reply to each valid request other than `help`.
    public init(
        configuration: Configuration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger? = nil,
        handler: @escaping Handler
    ) {
        self.configuration = configuration
        self.group = group
        self.logger = logger ?? .silent
        self.handler = handler
    }

    /// Creates the socket (replacing a stale one), restricts its mode, and starts accepting connections.
    ///
    /// - Throws: ``ControlServerError`` when the path is in use by a live process, is not a socket, is too
    ///   long, or cannot be bound; or when the server was already started.
    public func start() async throws(ControlServerError) {
        let path = self.configuration.path
        try self.state.withLock { (state) throws(ControlServerError) in
            guard case .idle = state else { throw ControlServerError(kind: .alreadyStarted, path: path) }
            state = .starting
        }
        let server: NIOAsyncChannel<NIOAsyncChannel<String, ByteBuffer>, Never>
        do {
            guard path.utf8.count < 108 else { throw ControlServerError(kind: .pathTooLong, path: path) }
            try UnixSocketFile.prepare(path)
            let maxLength = self.configuration.maxRequestLength
            let requestTimeout = TimeAmount(self.configuration.requestTimeout)
            do {
                server = try await ServerBootstrap(group: self.group)
                    .serverChannelOption(.backlog, value: 16)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    .bind(unixDomainSocketPath: path) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                ByteToMessageHandler(RequestLineDecoder(maxLength: maxLength))
                            )
                            try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(timeout: requestTimeout))
                            return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                throw ControlServerError(kind: .bindFailed(String(describing: error)), path: path)
            }
            do {
                try UnixSocketFile.setMode(path, mode_t(self.configuration.mode))
            } catch {
                try? await server.channel.close()
                throw error
            }
        } catch let error as ControlServerError {
            self.state.withLock { $0 = .idle }
            throw error
        } catch {
            self.state.withLock { $0 = .idle }
            throw ControlServerError(kind: .bindFailed(String(describing: error)), path: path)
        }

        let file = UnixSocketFile.identity(path)
        let configuration = self.configuration
        let handler = self.handler
        let logger = self.logger
        let acceptLoop = Task {
            do {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in connections {
                            group.addTask {
                                await Self.serve(connection, configuration: configuration, handler: handler, logger: logger)
                            }
                        }
                    }
                }
            } catch {
                logger.debug("control socket accept loop ended", metadata: ["error": "\(error)"])
            }
        }
        self.state.withLock { $0 = .running(channel: server.channel, acceptLoop: acceptLoop, file: file) }
        logger.debug("control socket listening", metadata: ["path": "\(path)"])
    }

    /// Stops accepting, lets connections in progress finish (each is bounded by the request and reply
    /// timeouts), and removes the socket file if it is still the one this server created.
    public func stop() async {
        let running: (any Channel, Task<Void, Never>, UnixSocketFile.FileIdentity?)? = self.state.withLock { state in
            defer { state = .stopped }
            guard case .running(let channel, let loop, let file) = state else { return nil }
            return (channel, loop, file)
        }
        guard let (channel, acceptLoop, file) = running else { return }
        try? await channel.close()
        await acceptLoop.value
        UnixSocketFile.remove(self.configuration.path, ifStill: file)
    }

    // MARK: Connections

    private static func serve(
        _ connection: NIOAsyncChannel<String, ByteBuffer>,
        configuration: Configuration,
        handler: @escaping Handler,
        logger: Logger
    ) async {
        let channel = connection.channel
        // The request line must arrive in time: RequestDeadlineHandler closes the connection otherwise (the read
        // below then ends).
        do {
            try await connection.executeThenClose { inbound, outbound in
                let refusal = await Self.refusal(of: channel, allowed: configuration.allowedUIDs)
                let reply: ControlReply
                var lines = inbound.makeAsyncIterator()
                do {
                    // The line is read even from a refused peer: closing with its request unread would reset
                    // the connection, and the peer would never see why it was refused.
                    guard let line = try await lines.next() else { return }  // closed, or timed out
                    if let refusal {
                        logger.notice("control socket: refused peer", metadata: ["reason": "\(refusal)"])
                        reply = ControlReply(status: .denied, body: refusal + "\n")
                    } else {
                        reply = await Self.reply(to: line, configuration: configuration, handler: handler)
                    }
                } catch let error as ControlRequestError {
                    reply = refusal.map { ControlReply(status: .denied, body: $0 + "\n") } ?? .failure(error.description)
                }
                try await outbound.write(ByteBuffer(string: reply.wireText))
            }
        } catch {
            logger.debug("control connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private static func reply(
        to line: String,
        configuration: Configuration,
        handler: @escaping Handler
    ) async -> ControlReply {
        let request: ControlRequest
        do {
            request = try ControlRequest(line: line)
        } catch {
            return .failure(error.description)
        }
        if request == .help {
            return .success(ControlRequest.helpText)
        }
        guard let reply = await firstResult(within: configuration.replyTimeout, { await handler(request) }) else {
            return .failure("'\(request.line)' timed out after \(configuration.replyTimeout)")
        }
        return reply
    }

    /// Linux's `struct ucred` (`SO_PEERCRED`), which Glibc's module map hides behind `_GNU_SOURCE`.
    struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Nil when the peer may use the socket, or the reason it may not.
    private static func refusal(of channel: any Channel, allowed: Set<UInt32>) async -> String? {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return "permission denied: cannot read the peer's credentials"
        }
        do {
            let credentials: PeerCredentials = try await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET),
                name: SocketOptionName(SO_PEERCRED)
            ).get()
            guard allowed.contains(credentials.uid) else {
                return "permission denied: uid \(credentials.uid) (pid \(credentials.pid)) may not use the lvsd control socket"
            }
            return nil
        } catch {
            return "permission denied: cannot read the peer's credentials (\(error))"
        }
        #else
        return "permission denied: peer credentials are only checked on Linux"
        #endif
    }
}
