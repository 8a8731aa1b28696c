import NIOCore

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
