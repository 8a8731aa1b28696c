import NIOCore
import NIOPosix
import Synchronization

@testable import HealthCheck

/// A scripted loopback SMTP server for SMTP_CHECK probe tests: sends `greeting` on connect (nil: nothing),
/// answers the first line received with `heloReply` (nil: nothing), the next with `quitReply`, and records the
/// lines it received.
final class SMTPTestServer: Sendable {
    let channel: any Channel
    let port: Int
    let lines = Mutex<[String]>([])

    var target: CheckTarget { CheckTarget(host: "127.0.0.1", port: port) }

    private init(channel: any Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    static func start(greeting: [UInt8]?, heloReply: [UInt8]? = Array("250 mx.test\r\n".utf8),
                      quitReply: [UInt8]? = Array("221 bye\r\n".utf8),
                      closeAfterGreeting: Bool = false) async throws -> SMTPTestServer {
        let box = Mutex<SMTPTestServer?>(nil)
        let channel = try await ServerBootstrap(group: TestServer.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPScriptHandler(greeting: greeting, replies: [heloReply, quitReply], close: closeAfterGreeting) { line in
                            box.withLock { $0?.lines.withLock { $0.append(line) } }
                        })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = SMTPTestServer(channel: channel)
        box.withLock { $0 = server }
        return server
    }

    func stop() async { try? await channel.close() }
}

private final class SMTPScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let greeting: [UInt8]?
    var replies: [[UInt8]?]
    let record: @Sendable (String) -> Void
    let close: Bool
    var pending: [UInt8] = []

    init(greeting: [UInt8]?, replies: [[UInt8]?], close: Bool, record: @escaping @Sendable (String) -> Void) {
        self.close = close
        self.greeting = greeting
        self.replies = replies
        self.record = record
    }

    func channelActive(context: ChannelHandlerContext) {
        if let greeting {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: greeting)), promise: nil)
        }
        if close { context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += Array(unwrapInboundIn(data).readableBytesView)
        while let end = pending.firstIndex(of: 10) {
            record(String(decoding: pending[..<end], as: UTF8.self))
            pending.removeSubrange(...end)
            guard !replies.isEmpty else { continue }
            if let reply = replies.removeFirst() {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil)
            }
        }
    }
}
