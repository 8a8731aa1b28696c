#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// lvsd's pid file (`-p`, default `/run/lvsd.pid`): written once the kernel table is programmed, removed at exit.
struct PidFile {
    /// Where the file is.
    let path: String

    /// Writes this process's pid and a newline, replacing the file; returns why it could not, or nil.
    func create() -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let bytes = Array("\(getpid())\n".utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count ? nil : String(cString: strerror(errno))
    }

    /// Removes the file (a missing file is no error).
    func remove() {
        _ = unlink(path)
    }
}
