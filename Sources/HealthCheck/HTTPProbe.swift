import NIOCore
import NIOPosix
import NIOSSL

/// What one HTTP fetch produced: the parsed response or the transport failure that ended it.
struct HTTPFetchOutcome: Sendable {
    var response: HTTPResponseSummary?
    var failure: ProbeFailure?
    var latency: Duration
}

/// Runs one HTTP_GET / SSL_GET attempt for the URL at `urlIndex` and judges it like keepalived.
func runHTTPProbe(_ check: HTTPCheck, urlIndex: Int, tls: TLSContexts, on eventLoop: any EventLoop) -> EventLoopFuture<
    ProbeResult
> {
    guard check.urls.indices.contains(urlIndex) else {
        return eventLoop.makeSucceededFuture(.failed(.connectionFailed("no URL \(urlIndex) configured")))
    }
    let url = check.urls[urlIndex]
    return fetchHTTP(check, url: url, tls: tls, on: eventLoop).map { outcome in
        if let failure = outcome.failure { return .failed(failure, latency: outcome.latency) }
        guard let response = outcome.response else { return .failed(.noData, latency: outcome.latency) }
        return ProbeResult(
            failure: response.evaluate(against: url),
            latency: outcome.latency,
            statusCode: response.head?.statusCode,
            digest: response.head == nil ? nil : response.digest
        )
    }
}

/// Connects, sends keepalived's request for `url`, and reads the response with every bound applied.
func fetchHTTP(_ check: HTTPCheck, url: HTTPURL, tls: TLSContexts, on eventLoop: any EventLoop) -> EventLoopFuture<
    HTTPFetchOutcome
> {
    let start = NIODeadline.now()
    let completion = ProbeCompletion<HTTPFetchOutcome>(eventLoop: eventLoop)
    let deadline = check.effectiveCheckTimeout
    completion.armDeadline(deadline) { HTTPFetchOutcome(failure: .checkTimeout(deadline), latency: start.elapsed()) }

    var sslContext: NIOSSLContext?
    if check.tls {
        guard let context = tls.context(verify: check.verifyCertificate) else {
            completion.finish(
                HTTPFetchOutcome(failure: .tls(tls.setupError ?? "no TLS context"), latency: start.elapsed())
            )
            return completion.futureResult
        }
        sslContext = context
    }
    let serverName = check.tls ? check.serverName(for: url) : nil
    let request = check.request(for: url)
    let ioTimeout = TimeAmount(check.connectTimeout)
    let maxBody = check.maxBodyBytes
    let regex = url.regex
    let bootstrap = ClientBootstrap(group: eventLoop)
        .connectTimeout(ioTimeout)
        .channelInitializer { [sslContext] channel in
            channel.eventLoop.makeCompletedFuture {
                if let sslContext {
                    let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
                try channel.pipeline.syncOperations.addHandler(
                    HTTPProbeHandler(
                        request: request,
                        tls: sslContext != nil,
                        ioTimeout: ioTimeout,
                        maxBodyBytes: maxBody,
                        regex: regex,
                        start: start,
                        completion: completion
                    )
                )
            }
        }
    connectBootstrap(
        bootstrap,
        on: eventLoop,
        target: check.target,
        bindAddress: check.bindAddress,
        bindPort: nil,
        fwmark: check.fwmark
    )
    .whenComplete { result in
        switch result {
        case .success(let channel):
            completion.attach(channel)
        case .failure(let error):
            completion.finish(HTTPFetchOutcome(failure: connectFailure(error), latency: start.elapsed()))
        }
    }
    return completion.futureResult
}

/// Writes the request on activation, then feeds the response to an ``HTTPResponseParser`` until EOF, the
/// Content-Length, a bound, an error or a timeout. Each wait (TLS handshake plus write, then each read) is
/// bounded by `connect_timeout`, as in keepalived.
final class HTTPProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case connecting, writing, reading, done }

    private let request: String
    private let tls: Bool
    private let ioTimeout: TimeAmount
    private let start: NIODeadline
    private let completion: ProbeCompletion<HTTPFetchOutcome>
    private var parser: HTTPResponseParser
    private var phase = Phase.connecting
    private var timer: Scheduled<Void>?

    init(
        request: String,
        tls: Bool,
        ioTimeout: TimeAmount,
        maxBodyBytes: Int,
        regex: BodyRegex?,
        start: NIODeadline,
        completion: ProbeCompletion<HTTPFetchOutcome>
    ) {
        self.request = request
        self.tls = tls
        self.ioTimeout = ioTimeout
        self.start = start
        self.completion = completion
        self.parser = HTTPResponseParser(maxBodyBytes: maxBodyBytes)
        self.parser.regex = regex?.stream()
    }

    func channelActive(context: ChannelHandlerContext) {
        phase = .writing
        armTimer(context)
        let buffer = context.channel.allocator.buffer(string: request)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success:
                guard handler.phase == .writing else { return }
                handler.phase = .reading
                handler.armTimer(context)
            case .failure(let error):
                handler.fail(handler.classify(error), context: context)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard phase != .done else { return }
        if phase == .writing { phase = .reading }
        let buffer = unwrapInboundIn(data)
        do {
            try parser.feed(buffer.readableBytesView)
        } catch {
            fail(error, context: context)
            return
        }
        if parser.isCompleteByLength {
            succeed(context: context)
        } else {
            armTimer(context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if phase != .done {
            if phase == .writing && tls && parser.head == nil {
                fail(.tls("connection closed during the TLS handshake"), context: context)
            } else {
                succeed(context: context)
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard phase != .done else { return }
        if let ssl = error as? NIOSSLError, case .uncleanShutdown = ssl, phase == .reading {
            // keepalived's servers often close without close_notify: treat it as EOF.
            succeed(context: context)
            return
        }
        fail(classify(error), context: context)
    }

    private func classify(_ error: any Error) -> ProbeFailure {
        if let failure = error as? ProbeFailure { return failure }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return .tls("\(error)")
        }
        if let io = error as? IOError, io.errnoCode == ECONNRESET, parser.head != nil {
            return .ioError("connection reset by peer")
        }
        return phase == .writing && tls ? .tls("\(error)") : .ioError("\(error)")
    }

    private func armTimer(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: ioTimeout) {
            let (handler, context) = loopBound.value
            switch handler.phase {
            case .writing:
                handler.fail(
                    handler.tls ? .tls("handshake or request write timed out") : .writeTimeout,
                    context: context
                )
            case .reading, .connecting:
                handler.fail(.readTimeout, context: context)
            case .done:
                break
            }
        }
    }

    private func succeed(context: ChannelHandlerContext) {
        guard phase != .done else { return }
        phase = .done
        timer?.cancel()
        completion.finish(HTTPFetchOutcome(response: parser.summary, latency: start.elapsed()))
        context.close(promise: nil)
    }

    private func fail(_ failure: ProbeFailure, context: ChannelHandlerContext) {
        guard phase != .done else { return }
        phase = .done
        timer?.cancel()
        completion.finish(HTTPFetchOutcome(failure: failure, latency: start.elapsed()))
        context.close(promise: nil)
    }
}
