import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A small SMTP server on 127.0.0.1 for the tests, on an event loop of its own: it answers as a mail server
/// would, or misbehaves as told, and records what each connection sent.
final class FakeSMTPServer: Sendable {
    /// How the server answers.
    enum Behaviour: Sendable {
        /// 220, 250, 250, 250 per RCPT, 354, 250, 221.
        case normal
        /// A multi-line banner, then as ``normal``.
        case multiLineBanner
        /// `550` to every RCPT.
        case refuseRecipients
        /// Accepts the connection and never says anything.
        case silent
        /// A banner that is not SMTP.
        case garbage
        /// The banner, then nothing.
        case silentAfterBanner
    }

    let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let recorded: Transcripts

    /// What each connection sent, in order of connection.
    var transcripts: [String] { recorded.all }

    private init(port: Int, group: MultiThreadedEventLoopGroup, channel: any Channel, recorded: Transcripts) {
        self.port = port
        self.group = group
        self.channel = channel
        self.recorded = recorded
    }

    static func start(_ behaviour: Behaviour) async throws -> FakeSMTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let recorded = Transcripts()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        FakeSMTPHandler(behaviour: behaviour, index: recorded.open(), recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeSMTPServer(port: channel.localAddress?.port ?? 0, group: group, channel: channel, recorded: recorded)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Thread-safe transcripts, one per connection.
final class Transcripts: Sendable {
    private let texts = Mutex<[String]>([])
    var all: [String] { texts.withLock { $0 } }
    func open() -> Int { texts.withLock { $0.append(""); return $0.count - 1 } }
    func append(_ text: String, to index: Int) { texts.withLock { $0[index] += text } }
}

private final class FakeSMTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let behaviour: FakeSMTPServer.Behaviour
    let index: Int
    let recorded: Transcripts
    var pending = ""
    var inData = false

    init(behaviour: FakeSMTPServer.Behaviour, index: Int, recorded: Transcripts) {
        self.behaviour = behaviour
        self.index = index
        self.recorded = recorded
    }

    func channelActive(context: ChannelHandlerContext) {
        switch behaviour {
        case .normal, .refuseRecipients, .silentAfterBanner: say("220 fake.example ESMTP ready\r\n", context)
        case .multiLineBanner: say("220-fake.example ESMTP\r\n220-second line\r\n220 ready\r\n", context)
        case .garbage: say("hello there\r\n", context)
        case .silent: break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: unwrapInboundIn(data))
        recorded.append(text, to: index)
        pending += text
        while let end = pending.range(of: "\r\n") {
            let line = String(pending[..<end.lowerBound])
            pending.removeSubrange(..<end.upperBound)
            answer(line, context)
        }
    }

    private func answer(_ line: String, _ context: ChannelHandlerContext) {
        if behaviour == .silent || behaviour == .silentAfterBanner { return }
        if inData {
            if line == "." {
                inData = false
                say("250 2.0.0 queued\r\n", context)
            }
            return
        }
        switch line.prefix(4).uppercased() {
        case "HELO", "MAIL": say("250 OK\r\n", context)
        case "RCPT": say(behaviour == .refuseRecipients ? "550 5.1.1 no such user\r\n" : "250 OK\r\n", context)
        case "DATA":
            inData = true
            say("354 end with .\r\n", context)
        case "QUIT":
            say("221 bye\r\n", context)
            context.close(promise: nil)
        default: say("500 what?\r\n", context)
        }
    }

    private func say(_ text: String, _ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}

/// Log lines kept in memory.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var logger: Logger { Logger(label: "smtp-test") { _ in CapturingHandler(sink: self) } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

struct CapturingHandler: LogHandler {
    let sink: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { sink.append("\(event.level): \(event.message)") }
}
