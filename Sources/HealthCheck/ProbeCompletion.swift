import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Completes a probe's promise exactly once, whichever of the connect, the handler, or the deadline finishes
/// first; closes the channel when it is known. Used only on the probe's event loop.
final class ProbeCompletion<Value: Sendable>: @unchecked Sendable {
    private let eventLoop: any EventLoop
    private let promise: EventLoopPromise<Value>
    private var finished = false
    private var deadline: Scheduled<Void>?
    /// The connected channel, once known.
    var channel: (any Channel)?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.promise = eventLoop.makePromise(of: Value.self)
    }

    var futureResult: EventLoopFuture<Value> { promise.futureResult }
    var isFinished: Bool { finished }

    /// Arms the whole-probe deadline.
    func armDeadline(_ duration: Duration, value: @escaping @Sendable () -> Value) {
        deadline = eventLoop.scheduleTask(in: TimeAmount(duration)) { [self] in
            self.finish(value())
        }
    }

    /// Completes once; later calls are ignored. Closes the channel.
    func finish(_ value: Value) {
        eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        deadline = nil
        channel?.close(promise: nil)
        promise.succeed(value)
    }

    /// Called when the connect completes: remembers the channel, or closes it if the probe already ended.
    func attach(_ channel: any Channel) {
        eventLoop.preconditionInEventLoop()
        if finished {
            channel.close(promise: nil)
        } else {
            self.channel = channel
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow {
            self = .nanoseconds(Int64.max)
        } else {
            self = .nanoseconds(max(0, nanos.partialValue + attoseconds / 1_000_000_000))
        }
    }
}

extension NIODeadline {
    /// Time elapsed since `self`, as a `Duration`.
    func elapsed() -> Duration {
        .nanoseconds((NIODeadline.now() - self).nanoseconds)
    }
}

/// Maps a connect error to a probe failure.
func connectFailure(_ error: any Error) -> ProbeFailure {
    if let failure = error as? ProbeFailure { return failure }
    if let channelError = error as? ChannelError, case .connectTimeout = channelError { return .connectTimeout }
    if let connection = error as? NIOConnectionError {
        if connection.connectionErrors.isEmpty, connection.dnsAAAAError != nil || connection.dnsAError != nil {
            return .connectionFailed("cannot resolve \(connection.host)")
        }
        if let first = connection.connectionErrors.first { return connectFailure(first.error) }
        return .connectionFailed("\(error)")
    }
    if let io = error as? IOError {
        if io.errnoCode == ECONNREFUSED { return .connectionRefused }
        if io.errnoCode == ETIMEDOUT { return .connectTimeout }
        return .connectionFailed("\(io)")
    }
    return .connectionFailed("\(error)")
}
