import CSpawnShim
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's open-file limit (`RLIMIT_NOFILE`), sized for its work as keepalived sizes its own: a thousand
/// TCP_CHECKs each hold a socket (a steady check keeps its socket between connects), and the usual soft limit of
/// 1,024 would make the last of them fail with "Too many open files", taking healthy real servers out.
public enum FileLimit {
    /// The limits in force after ``ensure(atLeast:)``.
    public struct Outcome: Hashable, Sendable {
        /// The soft and hard limits now.
        public var soft: UInt64
        public var hard: UInt64
        /// Why the limit could not be raised as far as asked, if it could not (`EPERM`: the hard limit is lower
        /// and the process may not raise it).
        public var failure: String?
    }

    /// Raises the limit to at least `required` descriptors (soft, and hard where it is lower), never lowering it.
    /// Programs started through ``ProgramRunner`` afterwards get the limit the daemon started with.
    public static func ensure(atLeast required: Int) -> Outcome {
        var soft: UInt64 = 0, hard: UInt64 = 0
        let r = ps_raise_file_limit(UInt64(max(required, 0)), &soft, &hard)
        let failure = r == 0 ? nil : String(cString: strerror(-r))
        return Outcome(soft: soft, hard: hard, failure: failure)
    }

    /// The descriptors lvsd needs for `checkers` health checkers: two per checker (its socket, and a script's
    /// pipes or a TLS session's), and a fixed share for the event loops, VRRP and netlink sockets, the control
    /// socket, metrics connections and logging.
    public static func required(checkers: Int) -> Int {
        2 * checkers + 256
    }
}
