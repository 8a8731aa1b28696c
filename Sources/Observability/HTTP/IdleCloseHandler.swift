import NIOCore
import NIOHTTP1

/// Closes a connection that is idle: when the `IdleStateHandler` in front reports no bytes read for its
/// timeout, and when the server stops (``closeWhenIdle(_:)``).
///
/// Answers are made in Swift concurrency tasks; on a busy machine one may take longer than the idle timeout,
/// or a stop may come before the task has even seen the request, and the connection must not be closed under
/// it. This handler sits behind the HTTP decoder and pipelining handler and counts requests in and answers out
/// on the event loop, so it knows of a request as soon as it is read, with no race against the tasks.
final class IdleCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The outbound event behind ``closeWhenIdle(_:)``.
    private struct CloseWhenIdle: Sendable {}

    /// Request heads read.
    private var started = 0
    /// Requests read in full.
    private var received = 0
    /// Answers written in full.
    private var answered = 0

    /// Closes `channel` now if no request is in progress on it; otherwise its answer, which then says
    /// `Connection: close`, ends it.
    static func closeWhenIdle(_ channel: any Channel) {
        channel.triggerUserOutboundEvent(CloseWhenIdle(), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head: self.started += 1
        case .body: break
        case .end: self.received += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = Self.unwrapOutboundIn(data) { self.answered += 1 }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // A request cut off half-way by a silent client is idle too; one read in full is being answered.
        if self.received <= self.answered { context.close(promise: nil) }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is CloseWhenIdle else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed(())
        if self.started <= self.answered { context.close(promise: nil) }
    }
}
