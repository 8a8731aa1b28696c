import NIOCore
import ProgramRunner

/// Runs single probe attempts. The engine calls it on its event loop; the returned future always succeeds
/// with a ``ProbeResult`` (failures are results, not errors). Tests substitute scripted probers.
public protocol CheckProber: Sendable {
    /// Runs one attempt of `probe` (for HTTP, of the URL at `urlIndex`). `defaultTimeout` is the MISC
    /// timeout when `misc_timeout` is not set (the checker's `delay_loop`).
    func probe(_ probe: CheckProbe, urlIndex: Int, defaultTimeout: Duration, on eventLoop: any EventLoop)
        -> EventLoopFuture<ProbeResult>

    /// Ends whatever the prober still runs (MISC scripts); called by ``CheckEngine/shutdown()``.
    func shutdown()
}

extension CheckProber {
    /// Nothing to end by default.
    public func shutdown() {}
}

/// The real prober: a lean epoll connect for TCP (``TCPConnectProber``), NIO sockets for HTTP/SSL, a
/// ``ProgramRunner`` for MISC, a ``DatagramProber`` for UDP, DNS and PING.
public struct NIOCheckProber: CheckProber {
    private let tlsSource: LazyTLSContexts
    /// Runs TCP_CHECK connects; nil runs them through NIO channels instead.
    public let connector: TCPConnectProber?
    /// Runs MISC_CHECK programs (its script security and default user apply to them).
    public let runner: ProgramRunner
    /// Runs UDP_CHECK, DNS_CHECK and PING_CHECK exchanges.
    public let datagrams: DatagramProber

    /// TLS contexts shared by every SSL_GET probe (the default ones are made on first use).
    public var tls: TLSContexts { tlsSource.value }

    /// Creates a prober; pass `tls` to share or customise the TLS contexts (nil: the default contexts, made
    /// when the first SSL_GET runs, so that a daemon without SSL_GET never loads the system's trust roots), and
    /// `connector: nil` to run TCP checks through NIO channels, and `runner` for the MISC_CHECK programs
    /// (keepalived's `script_user` and `enable_script_security` are its settings), and `datagrams` for the UDP,
    /// DNS and PING exchanges.
    public init(
        tls: TLSContexts? = nil,
        connector: TCPConnectProber? = .shared,
        runner: ProgramRunner = ProgramRunner(),
        datagrams: DatagramProber = .shared
    ) {
        self.datagrams = datagrams
        self.tlsSource = LazyTLSContexts(tls)
        self.connector = connector
        self.runner = runner
    }

    /// Runs one attempt on `eventLoop` (hopping there first when called from elsewhere).
    public func probe(_ probe: CheckProbe, urlIndex: Int, defaultTimeout: Duration, on eventLoop: any EventLoop)
        -> EventLoopFuture<ProbeResult>
    {
        if case .tcp(let check) = probe, let connector {
            // The connect runs on the prober's thread; no hop to the event loop first.
            return connector.probe(check, on: eventLoop)
        }
        // Datagram exchanges run on the datagram prober's thread.
        switch probe {
        case .udp(let check): return datagrams.probe(check, on: eventLoop)
        case .dns(let check): return datagrams.probe(check, on: eventLoop)
        case .ping(let check): return datagrams.probe(check, on: eventLoop)
        default: break
        }
        guard eventLoop.inEventLoop else {
            return eventLoop.flatSubmit {
                self.probe(probe, urlIndex: urlIndex, defaultTimeout: defaultTimeout, on: eventLoop)
            }
        }
        return switch probe {
        case .tcp(let check): runTCPProbe(check, on: eventLoop)
        case .http(let check): runHTTPProbe(check, urlIndex: urlIndex, tls: tls, on: eventLoop)
        case .misc(let check): runMiscProbe(check, defaultTimeout: defaultTimeout, runner: runner, on: eventLoop)
        case .udp(let check): datagrams.probe(check, on: eventLoop)
        case .dns(let check): datagrams.probe(check, on: eventLoop)
        case .ping(let check): datagrams.probe(check, on: eventLoop)
        case .smtp(let check): runSMTPProbe(check, on: eventLoop)
        case .file(let check): readTrackFile(check, on: eventLoop)
        }
    }

    /// Kills the process group of every MISC script still running.
    public func shutdown() {
        runner.terminateAll()
    }
}
