import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one `TCP_CHECK` attempt: connect within `connect_timeout`, then close. The bootstrap's connect
/// timeout is the whole check's deadline (a TCP check is only its connect), so no second timer is armed: with
/// thousands of checks, every timer armed and cancelled costs a heap operation on the event loop.
func runTCPProbe(_ check: TCPCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
    let start = NIODeadline.now()
    let completion = ProbeCompletion<ProbeResult>(eventLoop: eventLoop)
    connectBootstrap(
        ClientBootstrap(group: eventLoop).connectTimeout(TimeAmount(check.connectTimeout)),
        on: eventLoop,
        target: check.target,
        bindAddress: check.bindAddress,
        bindPort: check.bindPort,
        fwmark: check.fwmark
    ).whenComplete { result in
        switch result {
        case .success(let channel):
            completion.attach(channel)
            completion.finish(.success(latency: start.elapsed()))
        case .failure(let error):
            completion.finish(.failed(connectFailure(error), latency: start.elapsed()))
        }
    }
    return completion.futureResult
}

/// Connects a configured bootstrap to a target, binding first if asked and marking the socket (`SO_MARK`,
/// keepalived's checker `fwmark`; needs CAP_NET_ADMIN). Numeric addresses avoid resolution.
func connectBootstrap(
    _ bootstrap: ClientBootstrap,
    on eventLoop: any EventLoop,
    target: CheckTarget,
    bindAddress: String?,
    bindPort: Int?,
    fwmark: UInt32? = nil
) -> EventLoopFuture<any Channel> {
    var bootstrap = bootstrap
    if let fwmark {
        #if os(Linux)
            let option = ChannelOptions.Types.SocketOption(
                level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET),
                name: NIOBSDSocket.Option(rawValue: SO_MARK)
            )
            bootstrap = bootstrap.channelOption(option, value: Int(Int32(bitPattern: fwmark)))
        #else
            return eventLoop.makeFailedFuture(ProbeFailure.connectionFailed("fwmark needs Linux"))
        #endif
    }
    if bindAddress != nil || bindPort != nil {
        let local = bindAddress ?? (target.isIPv6 ? "::" : "0.0.0.0")
        do {
            let address = try SocketAddress(ipAddress: local, port: bindPort ?? 0)
            bootstrap = bootstrap.channelOption(.socketOption(.so_reuseaddr), value: 1).bind(to: address)
        } catch {
            return eventLoop.makeFailedFuture(ProbeFailure.connectionFailed("invalid bind address \(local)"))
        }
    }
    if let address = try? SocketAddress(ipAddress: target.host, port: target.port) {
        return bootstrap.connect(to: address)
    }
    return bootstrap.connect(host: target.host, port: target.port)
}
