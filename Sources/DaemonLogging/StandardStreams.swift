#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process's standard input, output and error.
public enum StandardStreams {
    /// Points descriptors 0, 1 and 2 at `/dev/null`, so a daemonised lvsd neither reads from nor writes to the
    /// terminal or pipe it was started from (which may be gone, or be a pipe nobody reads). Use it after
    /// daemonising, unless lvsd runs in the foreground (`-n`) or logs to the console (`-l`).
    ///
    /// - Throws: ``StandardStreamsError`` when `/dev/null` cannot be opened or a descriptor replaced.
    public static func detach() throws(StandardStreamsError) {
        try self.redirectToNull([0, 1, 2])
    }

    /// Points each of `descriptors` at `/dev/null` (read-write).
    static func redirectToNull(_ descriptors: [Int32]) throws(StandardStreamsError) {
        let null = open("/dev/null", O_RDWR)  // no O_CLOEXEC: it may itself become 0, 1 or 2
        guard null >= 0 else { throw StandardStreamsError(operation: "open /dev/null", errno: errno) }
        defer { if !descriptors.contains(null) { close(null) } }
        for descriptor in descriptors where descriptor != null {
            var rc: Int32
            repeat { rc = dup2(null, descriptor) } while rc < 0 && errno == EINTR
            guard rc >= 0 else { throw StandardStreamsError(operation: "dup2 onto \(descriptor)", errno: errno) }
        }
    }
}

/// Why ``StandardStreams/detach()`` failed.
public struct StandardStreamsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call that failed, e.g. `open /dev/null`.
    public let operation: String
    /// Its errno.
    public let errno: Int32

    /// `operation: strerror(errno)`.
    public var description: String { "\(self.operation): \(String(cString: strerror(self.errno)))" }
}
