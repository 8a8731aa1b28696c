#if canImport(Glibc)
import Glibc
#endif

/// A keepalived notify FIFO (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`): created with mode 0644 when
/// missing, opened read-write, non-blocking and without following a symbolic link (so opening and writing never
/// wait for a reader), one line per event. A full FIFO (no reader draining it) loses lines rather than stalling
/// the daemon.
public final class NotifyFifo: Sendable {
    /// Why a FIFO cannot be used; the description names the path.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The FIFO's path.
    public let path: String
    private let fd: Int32

    /// Opens (creating if needed) the FIFO at `path`.
    /// - Throws: naming the path: not a FIFO, cannot be created or opened.
    public init(path: String) throws(Failure) {
        self.path = path
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFIFO else { throw Failure(description: "notify FIFO \(path) exists and is not a FIFO") }
        } else if mkfifo(path, 0o644) != 0 && errno != EEXIST {
            throw Failure(description: "cannot create notify FIFO \(path): \(String(cString: strerror(errno)))")
        }
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw Failure(description: "cannot open notify FIFO \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Writes `line` and a newline in one `write` (atomic for lines up to `PIPE_BUF`); false when the FIFO is
    /// full or the write failed (the line is lost).
    @discardableResult
    public func write(_ line: String) -> Bool {
        let bytes = Array((line + "\n").utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return n == bytes.count
    }
}
