#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import KeepalivedConfig
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Sends alert mails as keepalived does, without ever delaying its caller.
///
/// ``send(_:)`` only puts the mail in a bounded queue (dropping the oldest mail, with a log line, when full) and
/// returns. The queue is drained in order, one connection per mail, on an event loop thread of the alerter's own
/// (started with the first mail): connect with `smtp_connect_timeout`, `HELO`, `MAIL FROM`, one `RCPT TO` per
/// address, `DATA`, the message, `QUIT`, each reply checked (``SMTPDialogue``). Failures are logged with the
/// server and the step and never reach the caller.
///
/// Without `smtp_server` or without `notification_email` mails are dropped silently, as keepalived drops them.
///
/// ```swift
/// let alerter = MailAlerter(configuration.globalDefinitions, logger: logger)
/// alerter.send(.vrrpInstance("VI_1", .master, routerID: alerter.routerID))
/// ```
public final class MailAlerter: Sendable {
    /// How many mails wait at most before the oldest is dropped (keepalived has no bound: each mail is a
    /// connection of its own).
    public let capacity: Int

    private struct Queued: Sendable {
        var mail: AlertMail
        var time: time_t
    }

    private struct State {
        var settings: SMTPSettings
        var queue: [Queued] = []
        /// A mail is being delivered (or the loop is about to take the next one).
        var busy = false
        var closed = false
        var group: MultiThreadedEventLoopGroup?
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter = 0
        var statistics = Statistics()
    }

    /// What the alerter has done since it was made.
    public struct Statistics: Hashable, Sendable {
        /// Mails the server accepted.
        public var sent = 0
        /// Mails that could not be delivered (each logged).
        public var failed = 0
        /// Mails dropped because the queue was full.
        public var dropped = 0
    }

    private let state: Mutex<State>
    private let logger: Logger

    /// An alerter sending with `settings`.
    ///
    /// - Parameters:
    ///   - capacity: the bound of the queue (at least 1).
    public init(settings: SMTPSettings, logger: Logger, capacity: Int = 64) {
        self.capacity = max(1, capacity)
        self.logger = logger
        state = Mutex(State(settings: settings))
    }

    /// An alerter with `global_defs`' mail settings (``SMTPSettings/init(_:hostName:)``).
    public convenience init(_ global: GlobalDefinitions, logger: Logger) {
        self.init(settings: SMTPSettings(global), logger: logger)
    }

    /// The settings in force.
    public var settings: SMTPSettings { state.withLock { $0.settings } }

    /// `router_id` (else the host name): what keepalived's subjects start with, in brackets.
    public var routerID: String { state.withLock { $0.settings.routerID } }

    /// Whether mails are sent at all (a server and at least one recipient are configured).
    public var canSend: Bool { state.withLock { $0.settings.canSend } }

    /// What the alerter has done so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Takes new settings (a reload): mails still queued go out with them.
    public func configure(_ settings: SMTPSettings) {
        state.withLock { $0.settings = settings }
    }

    /// Queues `mail` and returns at once. Dropped silently when no server or recipient is configured or after
    /// ``shutdown(within:)``; when ``capacity`` mails already wait, the oldest is dropped and logged.
    public func send(_ mail: AlertMail) {
        let now = time(nil)
        var droppedSubject: String?
        let loop: (any EventLoop)? = state.withLock { s in
            guard !s.closed, s.settings.canSend else { return nil }
            if s.queue.count >= capacity {
                droppedSubject = s.queue.removeFirst().mail.subject
                s.statistics.dropped += 1
            }
            s.queue.append(Queued(mail: mail, time: now))
            guard !s.busy else { return nil }
            s.busy = true
            if s.group == nil { s.group = MultiThreadedEventLoopGroup(numberOfThreads: 1) }
            return s.group?.next()
        }
        if let droppedSubject {
            logger.warning("SMTP alert queue full (\(capacity) mails): dropping the oldest, \"\(droppedSubject)\"")
        }
        if let loop { loop.execute { self.deliverNext(on: loop) } }
    }

    /// Waits until every queued mail has been dealt with (sent or failed), for at most `limit`; returns whether
    /// the queue was empty by then. The calling task is suspended, not blocked.
    @discardableResult
    public func flush(within limit: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let registered: (id: Int, loop: any EventLoop)? = state.withLock { s in
                guard s.busy || !s.queue.isEmpty, let loop = s.group?.next() else { return nil }
                let id = s.nextWaiter
                s.nextWaiter += 1
                s.waiters[id] = continuation
                return (id, loop)
            }
            guard let registered else { return continuation.resume(returning: true) }
            registered.loop.scheduleTask(in: TimeAmount(limit)) {
                let waiter = self.state.withLock { $0.waiters.removeValue(forKey: registered.id) }
                waiter?.resume(returning: false)
            }
        }
    }

    /// Stops taking mails, waits at most `limit` for the queued ones, then ends the alerter's thread.
    public func shutdown(within limit: Duration = .seconds(5)) async {
        state.withLock { $0.closed = true }
        await flush(within: limit)
        let group: MultiThreadedEventLoopGroup? = state.withLock { s in
            defer { s.group = nil }
            return s.busy ? nil : s.group
        }
        // A delivery still under way keeps its thread; the process is ending anyway.
        try? await group?.shutdownGracefully()
    }

    // MARK: - The sender's loop

    private func deliverNext(on loop: any EventLoop) {
        let next: (Queued, SMTPSettings)? = state.withLock { s in
            guard !s.queue.isEmpty else { return nil }
            return (s.queue.removeFirst(), s.settings)
        }
        guard let (queued, settings) = next, let server = settings.server, !settings.recipients.isEmpty else {
            finishIfIdle()
            return
        }
        let host = SMTPSettings.localHostName()
        let from = settings.from ?? SMTPSettings.defaultFrom(hostName: host) ?? "lvsd@\(host)"
        let message = SMTPMessage.render(queued.mail, from: from, recipients: settings.recipients,
                                         date: SMTPMessage.dateHeader(queued.time))
        SMTPSession.deliver(message, settings: settings, server: server, from: from, on: loop, logger: logger)
            .whenComplete { result in
                let delivered = (try? result.get()) ?? false
                self.state.withLock { s in
                    if delivered { s.statistics.sent += 1 } else { s.statistics.failed += 1 }
                }
                if !delivered {
                    self.logger.warning("SMTP alert not sent to \(server): \"\(queued.mail.subject)\"")
                }
                self.deliverNext(on: loop)
            }
    }

    /// Marks the alerter idle when nothing is queued and wakes ``flush(within:)``'s waiters; otherwise goes on.
    private func finishIfIdle() {
        let (waiters, loop): ([CheckedContinuation<Bool, Never>], (any EventLoop)?) = state.withLock { s in
            guard s.queue.isEmpty else { return ([], s.group?.next()) }
            s.busy = false
            defer { s.waiters = [:] }
            return (Array(s.waiters.values), nil)
        }
        if let loop { return deliverNext(on: loop) }
        for waiter in waiters { waiter.resume(returning: true) }
    }
}
