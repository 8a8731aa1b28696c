import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The signals lvsd acts on, as keepalived does: HUP reloads, TERM and INT stop, USR1 dumps state.
public enum DaemonSignal: Sendable {
    /// HUP, TERM or INT, USR1.
    case reload, stop, dumpStatus
}

/// Turns process signals into an async sequence. The default handlers are replaced (ignored) first, so a signal
/// arriving before the consumer starts is queued rather than killing the process.
public final class SignalSource {
    /// The signals as they arrive.
    public let signals: AsyncStream<DaemonSignal>
    private let sources: [any DispatchSourceSignal]

    /// Catches HUP, TERM, INT and USR1 from now on (and ignores PIPE).
    public init() {
        let (stream, continuation) = AsyncStream.makeStream(of: DaemonSignal.self)
        signals = stream
        var made: [any DispatchSourceSignal] = []
        let queue = DispatchQueue(label: "lvsd.signals")
        for (number, meaning) in [(SIGHUP, DaemonSignal.reload), (SIGTERM, .stop), (SIGINT, .stop), (SIGUSR1, .dumpStatus)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(meaning) }
            source.resume()
            made.append(source)
        }
        // A notify script must not be able to kill lvsd by closing a pipe.
        signal(SIGPIPE, SIG_IGN)
        sources = made
    }
}
