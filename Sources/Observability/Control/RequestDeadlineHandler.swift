import NIOCore

/// Closes a control connection whose request line has not arrived within `timeout` of the connection being
/// set up.
///
/// It sits behind the line decoder and runs on the event loop, so a line that has arrived stops the clock even
/// when the task that answers it has not run yet (on a busy machine the cooperative pool may take a while to
/// get to it). A decoding error (a line too long, not UTF-8) stops it too: that is answered with an error.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = String
    typealias InboundOut = String

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        self.deadline = context.eventLoop.scheduleTask(in: self.timeout) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stop()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.stop()
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.stop()
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stop()
        context.fireChannelInactive()
    }

    private func stop() {
        self.deadline?.cancel()
        self.deadline = nil
    }
}
