import CConnectShim
import NIOCore
import ProgramRunner
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs `UDP_CHECK`, `DNS_CHECK` and `PING_CHECK` attempts: a connected datagram socket sends one datagram, and
/// every datagram received until a verdict or `connect_timeout` is judged by the checker's rule
/// (``UDPCheck/judge(reply:)``, ``DNSMessage/judge(reply:id:)``, ``ICMPEcho/judge(reply:raw:ipv6:identifier:sequence:)``).
/// An ICMP error for the socket (port or host unreachable) fails the next receive, which fails the probe.
///
/// As ``TCPConnectProber`` does for connects, one dedicated thread owns an epoll set with every socket waiting
/// and a min-heap of their deadlines; nothing here blocks an event loop. Requests reach the thread through a
/// locked queue and an eventfd; verdicts complete each probe's promise on its event loop. The thread starts with
/// the first probe; ``shared`` lives for the process.
///
/// PING_CHECK uses an unprivileged ping socket; when the kernel refuses one (`net.ipv4.ping_group_range` does not
/// cover the process's group), it uses a raw ICMP socket from then on.
public final class DatagramProber: Sendable {
    /// The process-wide prober ``NIOCheckProber`` uses by default.
    public static let shared = DatagramProber()

    struct Request: Sendable {
        /// `CS_DATAGRAM_UDP` or `CS_DATAGRAM_PING` (which may become `CS_DATAGRAM_RAW_ICMP`).
        var kind: Int32
        var target: SocketAddressBytes
        var local: SocketAddressBytes?
        var mark: UInt32?
        var payload: [UInt8]
        var start: UInt64
        var timeout: UInt64
        /// The failure a timeout is; nil: a timeout is a success (UDP_CHECK without `require_reply`).
        var timeoutFailure: ProbeFailure?
        /// The verdict on one datagram; the flag says whether it came from a raw ICMP socket.
        var judge: @Sendable ([UInt8], Bool) -> DatagramVerdict
        var promise: EventLoopPromise<ProbeResult>
    }

    private struct State: Sendable {
        var pending: [Request] = []
        var wakeFD: Int32 = -1
        var started = false
        var failedToStart = false
        var stopped = false
    }

    private let state = Mutex(State())
    private let sequence = Atomic<UInt16>(0)

    /// Creates a prober; its thread starts with the first probe. Most code uses ``shared``.
    public init() {}

    /// Runs one `UDP_CHECK` attempt; the future (on `eventLoop`) always succeeds with a ``ProbeResult``.
    public func probe(_ check: UDPCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        submit(kind: Int32(CS_DATAGRAM_UDP), target: check.target, bindAddress: check.bindAddress,
               bindPort: check.bindPort, mark: check.fwmark, payload: check.datagram, timeout: check.connectTimeout,
               timeoutFailure: check.requireReply ? .replyTimeout : nil, on: eventLoop) { data, _ in
            check.judge(reply: data).map(DatagramVerdict.failure) ?? .success
        }
    }

    /// Runs one `DNS_CHECK` attempt (a fresh random query id each time).
    public func probe(_ check: DNSCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        let id = UInt16.random(in: 0...UInt16.max)
        let query: [UInt8]
        do {
            query = try DNSMessage.query(id: id, type: check.type, name: check.name)
        } catch {
            return eventLoop.makeSucceededFuture(.failed(.connectionFailed("\(error)")))
        }
        return submit(kind: Int32(CS_DATAGRAM_UDP), target: check.target, bindAddress: check.bindAddress,
                      bindPort: check.bindPort, mark: check.fwmark, payload: query, timeout: check.connectTimeout,
                      timeoutFailure: .replyTimeout, on: eventLoop) { data, _ in
            DNSMessage.judge(reply: data, id: id)
        }
    }

    /// Runs one `PING_CHECK` attempt.
    public func probe(_ check: PingCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        let identifier = UInt16.random(in: 0...UInt16.max)
        let seq = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let ipv6 = check.target.isIPv6
        let request = ICMPEcho.request(identifier: identifier, sequence: seq, ipv6: ipv6)
        return submit(kind: Int32(CS_DATAGRAM_PING), target: CheckTarget(host: check.target.host, port: 0),
                      bindAddress: check.bindAddress, bindPort: nil, mark: check.fwmark, payload: request,
                      timeout: check.connectTimeout, timeoutFailure: .replyTimeout, on: eventLoop) { data, raw in
            ICMPEcho.judge(reply: data, raw: raw, ipv6: ipv6, identifier: identifier, sequence: seq)
        }
    }

    private func submit(kind: Int32, target: CheckTarget, bindAddress: String?, bindPort: Int?, mark: UInt32?,
                        payload: [UInt8], timeout: Duration, timeoutFailure: ProbeFailure?, on eventLoop: any EventLoop,
                        judge: @escaping @Sendable ([UInt8], Bool) -> DatagramVerdict) -> EventLoopFuture<ProbeResult> {
        let start = NIODeadline.now().uptimeNanoseconds
        guard let address = SocketAddressBytes(host: target.host, port: target.port) else {
            return eventLoop.makeSucceededFuture(.failed(.connectionFailed("\(target.host) is not a numeric address")))
        }
        var local: SocketAddressBytes?
        if bindAddress != nil || bindPort != nil {
            let host = bindAddress ?? (target.isIPv6 ? "::" : "0.0.0.0")
            guard let parsed = SocketAddressBytes(host: host, port: bindPort ?? 0) else {
                return eventLoop.makeSucceededFuture(.failed(.connectionFailed("invalid bind address \(host)")))
            }
            local = parsed
        }
        let promise = eventLoop.makePromise(of: ProbeResult.self)
        let request = Request(kind: kind, target: address, local: local, mark: mark, payload: payload, start: start,
                              timeout: TCPConnectProber.nanoseconds(timeout), timeoutFailure: timeoutFailure,
                              judge: judge, promise: promise)
        if !enqueue(request) {
            promise.succeed(.failed(.connectionFailed("the datagram prober's thread is not running")))
        }
        return promise.futureResult
    }

    /// Stops the thread: probes still waiting end as ``ProbeFailure/connectionFailed(_:)``, and so do later ones.
    /// Never needed for ``shared``.
    public func shutdown() {
        let wake: Int32? = state.withLock { state in
            defer { state.stopped = true }
            return state.started && !state.stopped ? state.wakeFD : nil
        }
        if let wake { cs_eventfd_signal(wake) }
    }

    private func enqueue(_ request: Request) -> Bool {
        let (accepted, wake): (Bool, Int32?) = state.withLock { state in
            if state.stopped || state.failedToStart { return (false, nil) }
            if !state.started {
                guard startThread(&state) else {
                    state.failedToStart = true
                    return (false, nil)
                }
            }
            state.pending.append(request)
            return (true, state.pending.count == 1 ? state.wakeFD : nil)
        }
        if let wake { cs_eventfd_signal(wake) }
        return accepted
    }

    /// The thread's side of the queue: every pending request, and whether to stop.
    func takePending() -> (requests: [Request], stop: Bool) {
        state.withLock { state in
            defer { state.pending = [] }
            return (state.pending, state.stopped)
        }
    }

    private func startThread(_ state: inout State) -> Bool {
        let epollFD = cs_epoll_create()
        guard epollFD >= 0 else { return false }
        let wakeFD = cs_eventfd()
        guard wakeFD >= 0, cs_epoll_watch_read(epollFD, wakeFD, DatagramLoop.wakeToken) == 0 else {
            if wakeFD >= 0 { close(wakeFD) }
            close(epollFD)
            return false
        }
        let created = startDetachedThread { [self] in
            DatagramLoop(owner: self, epollFD: epollFD, wakeFD: wakeFD).run()
        }
        guard created == 0 else {
            close(wakeFD)
            close(epollFD)
            return false
        }
        state.wakeFD = wakeFD
        state.started = true
        return true
    }
}
