import Logging
import NIOCore
import NIOPosix

/// One mail delivered over one connection, on ``MailAlerter``'s event loop: connect (with the connect timeout),
/// then ``SMTPDialogue`` driven by the server's replies, each awaited for at most the connect timeout (as
/// keepalived waits `smtp_connect_timeout` for each read).
///
/// Every failure is logged with the server and the step, in keepalived's words where keepalived has some; none
/// is reported further than the returned future's `false`.
enum SMTPSession {
    /// Delivers `message`; the future succeeds with whether the server accepted it.
    static func deliver(_ message: [UInt8], settings: SMTPSettings, server: SMTPSettings.Server, from: String,
                        on loop: any EventLoop, logger: Logger) -> EventLoopFuture<Bool> {
        let timeout = TimeAmount(settings.connectTimeout)
        let dialogue = SMTPDialogue(helo: settings.heloName, from: from, recipients: settings.recipients, message: message)
        let done = loop.makePromise(of: Bool.self)
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPClientHandler(dialogue: dialogue, server: server.description, replyTimeout: timeout,
                                          logger: logger, done: done))
                }
            }
            .connect(host: server.host, port: Int(server.port))
            .whenFailure { error in
                switch error {
                case ChannelError.connectTimeout:
                    logger.warning("Timeout connecting SMTP server \(server) (connect_timeout \(settings.connectTimeout)).")
                default:
                    logger.warning("SMTP connection ERROR to \(server): \(describe(error)).")
                }
                done.succeed(false)
            }
        return done.futureResult
    }

    /// A connection error in words (NIO's happy-eyeballs error lists the lookups' and attempts' errors).
    static func describe(_ error: any Error) -> String {
        guard let e = error as? NIOConnectionError else { return "\(error)" }
        var parts = e.connectionErrors.map { "\($0.target): \($0.error)" }
        if parts.isEmpty {
            if let a = e.dnsAError { parts.append("address lookup: \(a)") }
            if let aaaa = e.dnsAAAAError { parts.append("IPv6 address lookup: \(aaaa)") }
        }
        return parts.isEmpty ? "no address for \(e.host)" : parts.joined(separator: "; ")
    }
}

/// The dialogue on one connection. Confined to the channel's event loop.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var dialogue: SMTPDialogue
    private var reader = SMTPReplyReader()
    /// `[host]:port` as configured, then `[address]:port` once connected.
    private var server: String
    private let replyTimeout: TimeAmount
    private let logger: Logger
    private let done: EventLoopPromise<Bool>
    private var timer: Scheduled<Void>?

    init(dialogue: SMTPDialogue, server: String, replyTimeout: TimeAmount, logger: Logger, done: EventLoopPromise<Bool>) {
        self.dialogue = dialogue
        self.server = server
        self.replyTimeout = replyTimeout
        self.logger = logger
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress, let ip = address.ipAddress, let port = address.port {
            server = "[\(ip)]:\(port)"
        }
        armTimer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for outcome in reader.feed(buffer.readableBytesView) {
            guard dialogue.step != .done else { break }
            let step = dialogue.step
            switch outcome {
            case .reply(let code, _):
                let (action, expected) = dialogue.received(code: code)
                if !expected {
                    logger.warning("Error processing \(step.rawValue) cmd on SMTP server \(server). SMTP status code = \(code)")
                }
                perform(action, context)
            case .garbage(let line):
                logger.warning("Unexpected reply from remote SMTP server \(server) to \(step.rawValue): \"\(line)\"")
                perform(dialogue.abandon(), context)
            case .overflow:
                logger.warning("Received buffer from remote SMTP server \(server) overflow our get read buffer length (waiting for the reply to \(step.rawValue)).")
                perform(dialogue.abandon(), context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if dialogue.step != .done {
            logger.warning("Remote SMTP server \(server) has closed the connection (waiting for the reply to \(dialogue.step.rawValue)).")
        }
        if dialogue.delivered {
            logger.debug("SMTP alert successfully sent to \(server).")
        }
        done.succeed(dialogue.delivered)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("SMTP error with remote SMTP server \(server) (waiting for the reply to \(dialogue.step.rawValue)): \(error)")
        context.close(promise: nil)
    }

    private func perform(_ action: SMTPDialogue.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .send(let bytes):
            let step = dialogue.step
            let server = self.server, logger = self.logger
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes))).whenFailure { error in
                logger.warning("Cannot send data to remote SMTP server \(server) (\(step.rawValue)): \(error).")
            }
            armTimer(context)
        case .close:
            timer?.cancel()
            timer = nil
            context.close(promise: nil)
        }
    }

    /// Waits at most the timeout for the next reply: on expiry, `QUIT` (or closing when it was already sent).
    private func armTimer(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: replyTimeout) {
            let (handler, context) = bound.value
            handler.timedOut(context)
        }
    }

    private func timedOut(_ context: ChannelHandlerContext) {
        timer = nil
        guard dialogue.step != .done else { return }
        logger.warning("Timeout reading data to remote SMTP server \(server) (waiting for the reply to \(dialogue.step.rawValue)).")
        perform(dialogue.abandon(), context)
    }
}
