import NIOCore
import NIOPosix

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
        bindPort: check.bindPort
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

/// Connects a configured bootstrap to a target, binding first if asked. Numeric addresses avoid resolution.
func connectBootstrap(
    _ bootstrap: ClientBootstrap,
    on eventLoop: any EventLoop,
    target: CheckTarget,
    bindAddress: String?,
    bindPort: Int?
) -> EventLoopFuture<any Channel> {
    var bootstrap = bootstrap
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
