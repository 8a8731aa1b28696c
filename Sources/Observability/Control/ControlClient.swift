#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// The client side of the control socket, for `lvsd status [--json]` and `lvsd reload`.
///
/// ```swift
/// do {
///     let reply = try await ControlClient.send(.status(.json), path: ControlServer.defaultPath)
///     print(reply.body, terminator: "")
///     exit(reply.isSuccess ? 0 : 1)
/// } catch {
///     printError("lvsd: \(error)")   // e.g. "cannot connect to /run/lvsd.sock: no lvsd is running ..."
///     exit(1)
/// }
/// ```
public enum ControlClient {
    /// The largest reply read, in bytes; a status dump of thousands of real servers fits easily.
    public static let maxReplyLength = 64 << 20

    /// Sends one request and reads the whole reply.
    ///
    /// An `error` or `denied` reply from the daemon is returned, not thrown: the daemon answered, and its
    /// body says what went wrong.
    ///
    /// - Parameters:
    ///   - request: What to ask.
    ///   - path: The control socket; ``ControlServer/defaultPath`` by default.
    ///   - timeout: How long to wait for the whole exchange.
    ///   - group: The event loops to use; NIO's shared singleton by default.
    /// - Throws: ``ControlClientError`` naming the socket path when no daemon listens there, the caller may not
    ///   open it, the exchange times out, or the reply is malformed.
    public static func send(
        _ request: ControlRequest,
        path: String = ControlServer.defaultPath,
        timeout: Duration = .seconds(35),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(ControlClientError) -> ControlReply {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeout))
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ControlClientError(connectFailure: error, path: path)
        }
        // Bound the whole exchange: closing the channel at the deadline ends the read below.
        let underlying = channel.channel
        let deadline = underlying.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            underlying.close(promise: nil)
        }
        var received = ByteBuffer()
        var failure: ControlClientError?
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: request.line + "\n"))
                for try await chunk in inbound {
                    guard received.readableBytes + chunk.readableBytes <= maxReplyLength else {
                        throw ControlClientError(kind: .replyTooLong(limit: maxReplyLength), path: path)
                    }
                    var chunk = chunk
                    received.writeBuffer(&chunk)
                }
            }
        } catch let error as ControlClientError {
            failure = error
        } catch {
            failure = ControlClientError(kind: .io(String(describing: error)), path: path)
        }
        // Cancelling a deadline that already ran leaves its future succeeded: then the deadline closed the
        // channel (cutting the read short, as EOF or as an error), not the daemon.
        deadline.cancel()
        if (try? await deadline.futureResult.get()) != nil {
            throw ControlClientError(kind: .timedOut(timeout), path: path)
        }
        if let failure {
            throw failure
        }
        let text = String(decoding: received.readableBytesView, as: UTF8.self)
        if text.isEmpty {
            throw ControlClientError(kind: .noReply, path: path)
        }
        guard let reply = ControlReply(wireText: text) else {
            throw ControlClientError(kind: .malformedReply, path: path)
        }
        return reply
    }
}

/// Why a control request got no answer.
public struct ControlClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// Nothing listens on the socket: the file is missing or stale.
        case noDaemon
        /// The caller may not open the socket (it is root-only).
        case permissionDenied
        /// The path does not fit in a Unix socket address.
        case pathTooLong
        /// The daemon did not answer in time.
        case timedOut(Duration)
        /// The daemon closed the connection without answering.
        case noReply
        /// The answer did not start with a status line.
        case malformedReply
        /// The answer exceeded the client's limit.
        case replyTooLong(limit: Int)
        /// Connecting, writing or reading failed otherwise.
        case io(String)
    }

    /// What went wrong.
    public let kind: Kind
    /// The control socket path.
    public let path: String

    /// Creates an error.
    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    init(connectFailure error: any Error, path: String) {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ENOENT, ECONNREFUSED, ENOTDIR:
                self.init(kind: .noDaemon, path: path)
            case EACCES, EPERM:
                self.init(kind: .permissionDenied, path: path)
            case ENAMETOOLONG:
                self.init(kind: .pathTooLong, path: path)
            default:
                self.init(kind: .io(String(describing: error)), path: path)
            }
        } else if error is SocketAddressError {
            self.init(kind: .pathTooLong, path: path)
        } else if let error = error as? ChannelError, case .connectTimeout = error {
            self.init(kind: .timedOut(.zero), path: path)
        } else {
            self.init(kind: .io(String(describing: error)), path: path)
        }
    }

    /// A one-line message naming the socket path and the likely cause.
    public var description: String {
        switch self.kind {
        case .noDaemon:
            "cannot connect to \(self.path): no lvsd is running (or it runs with another control socket path)"
        case .permissionDenied:
            "cannot connect to \(self.path): permission denied (the control socket is for root only)"
        case .pathTooLong:
            "cannot connect to \(self.path): the path is too long for a Unix socket"
        case .timedOut(let timeout):
            timeout == .zero
                ? "cannot connect to \(self.path): timed out"
                : "no answer from lvsd on \(self.path) within \(timeout)"
        case .noReply:
            "lvsd on \(self.path) closed the connection without answering"
        case .malformedReply:
            "lvsd on \(self.path) answered with something that is not a control reply"
        case .replyTooLong(let limit):
            "the answer from lvsd on \(self.path) is longer than \(limit) bytes"
        case .io(let reason):
            "control socket \(self.path): \(reason)"
        }
    }
}
