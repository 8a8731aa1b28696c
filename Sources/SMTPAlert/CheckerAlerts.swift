/// What a checker's mail says about one real server: keepalived's body for each checker kind and outcome
/// (check_tcp.c, check_http.c, check_misc.c) and for a real server taken out of service (ipwrapper.c).
public enum CheckerAlert: Hashable, Sendable {
    /// TCP_CHECK passes again: `=> TCP CHECK succeed on service <=`.
    case tcpSucceeded
    /// TCP_CHECK failed: `=> TCP CHECK failed on service <=`.
    case tcpFailed
    /// HTTP_GET or SSL_GET passes again: `=> CHECK succeed on service <=`.
    case httpSucceeded
    /// HTTP_GET or SSL_GET failed: `=> CHECK failed on service : <reason> <=`. keepalived 2.2.7 always gives
    /// the reason `HTTP request failed` (the default).
    case httpFailed(reason: String = "HTTP request failed")
    /// MISC_CHECK's script succeeded: `=> MISC CHECK succeeded on service <=`.
    case miscSucceeded
    /// MISC_CHECK's script failed (exit status or signal): `=> MISC CHECK failed on service <=`.
    case miscFailed
    /// MISC_CHECK's script was killed at `misc_timeout`: `=> MISC CHECK timed out on service <=`.
    case miscTimedOut
    /// UDP_CHECK passes again: `=> UDP CHECK succeed on service <=`.
    case udpSucceeded
    /// UDP_CHECK failed: `=> UDP CHECK failed on service <=`.
    case udpFailed
    /// DNS_CHECK passes again: `=> DNS_CHECK: succeed on service <=`.
    case dnsSucceeded
    /// DNS_CHECK failed: `=> DNS_CHECK: failed on service <=`.
    case dnsFailed
    /// PING_CHECK passes again: `=> ICMP CHECK succeed on service <=`.
    case pingSucceeded
    /// PING_CHECK failed: `=> ICMP CHECK failed on service <=`.
    case pingFailed
    /// The real server was alive and was removed by a reload: `=> Removing <=` (subject DOWN).
    case removed
    /// The real server was alive at shutdown (virtual server with `omega`): `=> Shutting down <=` (subject DOWN).
    case shuttingDown

    /// The mail's body.
    public var body: String {
        switch self {
        case .tcpSucceeded: "=> TCP CHECK succeed on service <="
        case .tcpFailed: "=> TCP CHECK failed on service <="
        case .httpSucceeded: "=> CHECK succeed on service <="
        case .httpFailed(let reason): "=> CHECK failed on service : \(reason) <="
        case .miscSucceeded: "=> MISC CHECK succeeded on service <="
        case .miscFailed: "=> MISC CHECK failed on service <="
        case .miscTimedOut: "=> MISC CHECK timed out on service <="
        case .udpSucceeded: "=> UDP CHECK succeed on service <="
        case .udpFailed: "=> UDP CHECK failed on service <="
        case .dnsSucceeded: "=> DNS_CHECK: succeed on service <="
        case .dnsFailed: "=> DNS_CHECK: failed on service <="
        case .pingSucceeded: "=> ICMP CHECK succeed on service <="
        case .pingFailed: "=> ICMP CHECK failed on service <="
        case .removed: "=> Removing <="
        case .shuttingDown: "=> Shutting down <="
        }
    }
}

/// A virtual server's quorum change with the numbers keepalived prints (`do_vs_notifies` in ipwrapper.c).
public struct QuorumAlert: Hashable, Sendable {
    /// Why the mail is sent.
    public enum Event: Hashable, Sendable {
        /// `Gained quorum` (subject UP).
        case gained
        /// `Lost quorum` (subject DOWN).
        case lost
        /// `Starting with quorum up` (subject UP): the first evaluation at start-up.
        case startingUp
        /// `Starting with quorum down` (subject DOWN).
        case startingDown
        /// `Shutting down` (subject DOWN): lvsd stops and the virtual server has `omega`.
        case shuttingDown
    }

    /// Why the mail is sent.
    public var event: Event
    /// `quorum`.
    public var quorum: UInt32
    /// `hysteresis`.
    public var hysteresis: UInt32
    /// The threshold compared: quorum + hysteresis when gaining, quorum − hysteresis when losing.
    public var threshold: Int64
    /// The sum of the weights of the alive real servers.
    public var weightSum: Int64

    /// Creates a quorum change.
    public init(_ event: Event, quorum: UInt32, hysteresis: UInt32, threshold: Int64, weightSum: Int64) {
        self.event = event
        self.quorum = quorum
        self.hysteresis = hysteresis
        self.threshold = threshold
        self.weightSum = weightSum
    }

    /// Whether the virtual server has quorum after the change (the subject's UP or DOWN).
    public var up: Bool { event == .gained || event == .startingUp }

    /// keepalived's body: `=> Gained quorum 3+1=4 <= 5 <=` (always `Q+H=T <= W`, even when losing, where `T` is
    /// Q − H), or `=> Shutting down <=`; cut to 79 bytes as keepalived's 80-byte buffer cuts it.
    public var body: String {
        let words = switch event {
        case .gained: "Gained quorum"
        case .lost: "Lost quorum"
        case .startingUp: "Starting with quorum up"
        case .startingDown: "Starting with quorum down"
        case .shuttingDown: "Shutting down"
        }
        if event == .shuttingDown { return "=> Shutting down <=" }
        return AlertMail.prefix(of: "=> \(words) \(quorum)+\(hysteresis)=\(threshold) <= \(weightSum) <=", maximumBytes: 79)
    }
}

extension AlertMail {
    /// keepalived's mail from a checker: subject `[<router_id>] Realserver [10.0.0.2]:tcp:80 of virtual server
    /// [10.0.0.1]:tcp:80 - UP|DOWN`, where UP or DOWN is whether the real server is alive after the change
    /// (not the checker's verdict: with two checkers, one passing again while the other fails still says DOWN).
    ///
    /// - Parameters:
    ///   - realServer: keepalived's `FMT_RS`: `[ip]:proto:port` with the virtual server's protocol.
    ///   - virtualServer: keepalived's `FMT_VS`: `[ip]:proto:port`, `FWM n` or `[group]:port`.
    ///   - alive: whether the real server is alive (in the pool) after the change; ignored (DOWN) for
    ///     ``CheckerAlert/removed`` and ``CheckerAlert/shuttingDown``.
    public static func realServer(_ realServer: String, of virtualServer: String, alive: Bool, _ alert: CheckerAlert,
                                  routerID: String) -> AlertMail {
        let up: Bool = switch alert {
        case .removed, .shuttingDown: false
        default: alive
        }
        return AlertMail(routerID: routerID,
                         subject: "Realserver \(realServer) of virtual server \(virtualServer) - \(up ? "UP" : "DOWN")",
                         body: alert.body)
    }

    /// keepalived's mail for a quorum change: subject `[<router_id>] Virtualserver [10.0.0.1]:tcp:80 - UP|DOWN`,
    /// body ``QuorumAlert/body``.
    public static func virtualServer(_ virtualServer: String, _ change: QuorumAlert, routerID: String) -> AlertMail {
        AlertMail(routerID: routerID, subject: "Virtualserver \(virtualServer) - \(change.up ? "UP" : "DOWN")",
                  body: change.body)
    }
}
