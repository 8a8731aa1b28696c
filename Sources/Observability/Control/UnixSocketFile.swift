#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File-system chores around a listening Unix socket: replacing a stale one, restricting its mode, and
/// removing it again only if it is still ours.
enum UnixSocketFile {
    /// Makes `path` free for `bind`: nothing there is fine; a socket nobody accepts on (left by a crashed
    /// daemon) is removed; a socket somebody accepts on, or any other kind of file, is an error.
    static func prepare(_ path: String) throws(ControlServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw ControlServerError(kind: .system(operation: "lstat", errno: code), path: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ControlServerError(kind: .notASocket, path: path)
        }
        switch probe(path) {
        case 0:
            throw ControlServerError(kind: .alreadyInUse, path: path)
        case ECONNREFUSED, ENOENT:
            // Stale: the process that bound it is gone.
            guard unlink(path) == 0 || errno == ENOENT else {
                throw ControlServerError(kind: .system(operation: "unlink", errno: errno), path: path)
            }
        case let code:
            throw ControlServerError(kind: .system(operation: "connect", errno: code), path: path)
        }
    }

    /// Connects to the socket at `path` and returns 0 on success or the errno of the failure.
    ///
    /// The connect never waits (it is called from async code): a listener whose backlog is full answers EAGAIN
    /// at once, and that counts as connected, since somebody is listening.
    static func probe(_ path: String) -> Int32 {
        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        #endif
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return 0 }
        let code = errno
        return code == EAGAIN || code == EINPROGRESS ? 0 : code
    }

    /// Identity of the file at `path` (device and inode), or nil when there is none.
    static func identity(_ path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Removes `path` if it is still the file we created (a newer daemon may have replaced it).
    static func remove(_ path: String, ifStill identity: FileIdentity?) {
        guard let identity, Self.identity(path) == identity else { return }
        unlink(path)
    }

    /// Sets the mode of the file at `path`.
    static func setMode(_ path: String, _ mode: mode_t) throws(ControlServerError) {
        guard chmod(path, mode) == 0 else {
            throw ControlServerError(kind: .system(operation: "chmod", errno: errno), path: path)
        }
    }

    /// Device and inode of a file.
    struct FileIdentity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }
}
