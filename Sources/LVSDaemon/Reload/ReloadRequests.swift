import Synchronization

/// The intake of reload requests (SIGHUP, `lvsd reload`), consumed one at a time by ``ConfigurationService``.
/// Whoever asks gets the outcome; once the consumer has stopped, every request is answered "stopping".
public final class ReloadRequests: Sendable {
    /// One request: where it came from and how to answer it.
    public struct Request: Sendable {
        /// `SIGHUP`, `control socket`, ...
        public var source: String
        /// Answers the request (called exactly once).
        public var reply: @Sendable (ReloadOutcome) -> Void
    }

    /// What ``ConfigurationService`` reads.
    let stream: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation

    /// The answer given once the consumer has stopped.
    static let stopping = ReloadOutcome.refused(reasons: ["lvsd is stopping"])

    /// Creates an empty intake.
    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Request.self)
    }

    /// Asks for a reload and waits for its outcome.
    public func reload(from source: String) async -> ReloadOutcome {
        await withCheckedContinuation { waiting in
            submit(from: source) { waiting.resume(returning: $0) }
        }
    }

    /// Asks for a reload without waiting; `reply` gets the outcome.
    public func submit(from source: String, reply: @escaping @Sendable (ReloadOutcome) -> Void = { _ in }) {
        let once = ReplyOnce(reply)
        switch continuation.yield(Request(source: source, reply: { once.give($0) })) {
        case .terminated:
            once.give(Self.stopping)
        default:
            break
        }
    }

    /// Stops the intake: requests already queued and every later one are answered "stopping".
    func close() {
        continuation.finish()
    }
}

/// Calls a reply closure at most once.
private final class ReplyOnce: Sendable {
    private let reply: Mutex<(@Sendable (ReloadOutcome) -> Void)?>
    init(_ reply: @escaping @Sendable (ReloadOutcome) -> Void) { self.reply = Mutex(reply) }
    func give(_ outcome: ReloadOutcome) {
        let r = reply.withLock { current in
            defer { current = nil }
            return current
        }
        r?(outcome)
    }
}
