import Synchronization

/// ``TLSContexts`` given up front, or the default ones made once on first use (making them reads the
/// system's trust roots, which a daemon without SSL_GET checkers never needs).
final class LazyTLSContexts: Sendable {
    private let made: Mutex<TLSContexts?>

    /// `contexts`, or nil for the default contexts made on first use.
    init(_ contexts: TLSContexts?) {
        made = Mutex(contexts)
    }

    /// The contexts, made now if this is the first use.
    var value: TLSContexts {
        made.withLock { made in
            if let made { return made }
            let contexts = TLSContexts()
            made = contexts
            return contexts
        }
    }
}
