import Glibc

/// A syslog daemon's socket bound in a private temporary directory: `SOCK_DGRAM` as `/dev/log` is, or
/// `SOCK_STREAM` as some older daemons bind it.
///
/// Reads never wait. A datagram sent to a Unix socket is in the receiver's queue when `send` returns, and the
/// stream variant reads what a connected sender has already written, so every read is non-blocking and no
/// thread of the cooperative pool is ever held.
final class FakeSyslogDaemon {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: String
    let path: String
    let isStream: Bool
    private(set) var descriptor: Int32 = -1
    private var connection: Int32 = -1

    /// A directory with no socket in it yet; call ``bind()`` to create the socket.
    init(stream: Bool = false) throws {
        var template = Array("/tmp/lvsd-log-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw Failure(description: "mkdtemp: errno \(errno)")
        }
        self.directory = String(cString: made)
        self.path = self.directory + "/log"
        self.isStream = stream
    }

    /// Creates (or re-creates, as a restarted daemon does) the socket at ``path``.
    func bind() throws {
        self.closeSocket()
        unlink(self.path)
        let type = self.isStream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(AF_UNIX, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(self.path.utf8)) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0, !self.isStream || listen(fd, 4) == 0 else {
            close(fd)
            throw Failure(description: "bind \(self.path): errno \(errno)")
        }
        self.descriptor = fd
    }

    /// The next datagram, or nil when none is queued.
    func next() -> String? {
        guard self.descriptor >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n >= 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    /// Everything queued: each datagram, in order.
    func drain() -> [String] {
        var all: [String] = []
        while let datagram = self.next() { all.append(datagram) }
        return all
    }

    /// Stream variant: accepts the pending connection (once) and returns the bytes written so far.
    func streamBytes() throws -> [UInt8] {
        if self.connection < 0 {
            self.connection = accept(self.descriptor, nil, nil)  // the listener is non-blocking; reads use MSG_DONTWAIT
            guard self.connection >= 0 else { throw Failure(description: "accept: errno \(errno)") }
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(self.connection, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 { return received }
            received += buffer[0..<n]
        }
    }

    private func closeSocket() {
        if self.connection >= 0 { close(self.connection) }
        if self.descriptor >= 0 { close(self.descriptor) }
        self.connection = -1
        self.descriptor = -1
    }

    deinit {
        self.closeSocket()
        unlink(self.path)
        rmdir(self.directory)
    }
}
