import NIOCore
import Synchronization

/// How many raw bytes the current HTTP request may still use, shared between the byte counter in front of the
/// HTTP decoder and the connection loop that resets it after each response.
final class RequestByteBudget: Sendable {
    private let used = Mutex(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts `count` more bytes; false once the request is over the limit.
    func spend(_ count: Int) -> Bool {
        self.used.withLock { used in
            used += count
            return used <= self.limit
        }
    }

    /// Starts counting the next request.
    func reset() {
        self.used.withLock { $0 = 0 }
    }
}

/// Sits in front of the HTTP decoder and cuts off a request (head and body together) larger than its budget
/// with `431`, before the decoder buffers it. NIO's decoder alone would accept up to 80 KiB of headers and any
/// body.
final class RequestSizeLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let budget: RequestByteBudget
    private var tripped = false

    init(budget: RequestByteBudget) {
        self.budget = budget
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.tripped else { return }
        let bytes = Self.unwrapInboundIn(data)
        guard self.budget.spend(bytes.readableBytes) else {
            self.tripped = true
            let body = "request larger than \(self.budget.limit) bytes\n"
            let response =
                "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        context.fireChannelRead(data)
    }
}
