import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one `SMTP_CHECK` attempt against one server: connect, greeting 220, `HELO`, 250, `QUIT`, one more line.
func runSMTPProbe(_ check: SMTPCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
    let start = NIODeadline.now()
    let completion = ProbeCompletion<ProbeResult>(eventLoop: eventLoop)
    let deadline = check.effectiveCheckTimeout
    completion.armDeadline(deadline) {
        .failed(.smtp(.bound("dialogue exceeded its deadline of \(deadline)")), latency: start.elapsed())
    }
    let ioTimeout = TimeAmount(check.connectTimeout)
    let bootstrap = ClientBootstrap(group: eventLoop)
        .connectTimeout(ioTimeout)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    SMTPProbeHandler(check: check, ioTimeout: ioTimeout, start: start, completion: completion))
            }
        }
    connectBootstrap(bootstrap, on: eventLoop, target: check.target, bindAddress: check.bindAddress,
                     bindPort: check.bindPort, fwmark: check.fwmark)
        .whenComplete { result in
            switch result {
            case .success(let channel):
                completion.attach(channel)
            case .failure(let error):
                completion.finish(.failed(.smtp(smtpConnectFailure(error)), latency: start.elapsed()))
            }
        }
    return completion.futureResult
}

/// keepalived's connect outcomes: a timeout; no route (`Network unreachable`); a socket that could not be set up
/// (`Error connecting`); otherwise the connect failed (`Could not connect`: refused, reset, host unreachable).
func smtpConnectFailure(_ error: any Error) -> SMTPFailure {
    switch connectFailure(error) {
    case .connectTimeout: return .connectTimeout
    case .connectionFailed(let why) where why.contains("Network is unreachable"): return .unreachable(why)
    case .connectionFailed(let why) where why.hasPrefix("invalid bind address") || why.contains("fwmark"):
        return .connectError
    default: return .connectFail
    }
}

/// Drives the dialogue on an active channel. Every wait (a read, a write) is bounded by `connect_timeout` as in
/// keepalived, each line by ``SMTPCheck/maximumLineBytes`` and the whole attempt by the probe's deadline.
final class SMTPProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case connecting, banner, heloReply, quitReply, writing, done }

    private let check: SMTPCheck
    private let ioTimeout: TimeAmount
    private let start: NIODeadline
    private let completion: ProbeCompletion<ProbeResult>
    private var reader = SMTPLineReader()
    private var phase = Phase.connecting
    private var timer: Scheduled<Void>?

    init(check: SMTPCheck, ioTimeout: TimeAmount, start: NIODeadline, completion: ProbeCompletion<ProbeResult>) {
        self.check = check
        self.ioTimeout = ioTimeout
        self.start = start
        self.completion = completion
    }

    func channelActive(context: ChannelHandlerContext) {
        phase = .banner
        armTimer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard phase == .banner || phase == .heloReply || phase == .quitReply else { return }
        let buffer = unwrapInboundIn(data)
        switch reader.feed(buffer.readableBytesView) {
        case .needMore:
            armTimer(context)
        case .tooLong:
            finish(.smtp(.bound("reply line longer than \(SMTPCheck.maximumLineBytes) bytes")), context: context)
        case .line(let line):
            reader.reset()
            lineReceived(line, context: context)
        }
    }

    private func lineReceived(_ line: [UInt8], context: ChannelHandlerContext) {
        switch phase {
        case .banner:
            guard SMTPLineReader.status(of: line) == 220 else {
                finish(.smtp(.badBanner(SMTPLineReader.printable(line))), context: context)
                return
            }
            send(check.heloLine, then: .heloReply, context: context)
        case .heloReply:
            guard SMTPLineReader.status(of: line) == 250 else {
                finish(.smtp(.badHelo(SMTPLineReader.printable(line))), context: context)
                return
            }
            send(Array("QUIT\r\n".utf8), then: .quitReply, context: context)
        case .quitReply:
            // keepalived reads one line after QUIT and does not look at it.
            finish(nil, context: context)
        case .connecting, .writing, .done:
            break
        }
    }

    private func send(_ bytes: [UInt8], then next: Phase, context: ChannelHandlerContext) {
        phase = .writing
        armTimer(context)
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { result in
            let (handler, context) = loopBound.value
            guard handler.phase == .writing else { return }
            switch result {
            case .success:
                handler.phase = next
                handler.armTimer(context)
            case .failure:
                handler.finish(.smtp(.writeFailure), context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch phase {
        case .done, .connecting: break
        case .writing: finish(.smtp(.writeFailure), context: context)
        default: finish(.smtp(.readFailure), context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.smtp(phase == .writing ? .writeFailure : .readFailure), context: context)
    }

    private func armTimer(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: ioTimeout) {
            let (handler, context) = loopBound.value
            switch handler.phase {
            case .writing: handler.finish(.smtp(.writeTimeout), context: context)
            case .banner, .heloReply, .quitReply, .connecting: handler.finish(.smtp(.readTimeout), context: context)
            case .done: break
            }
        }
    }

    private func finish(_ failure: ProbeFailure?, context: ChannelHandlerContext) {
        guard phase != .done else { return }
        phase = .done
        timer?.cancel()
        completion.finish(ProbeResult(failure: failure, latency: start.elapsed()))
        context.close(promise: nil)
    }
}
