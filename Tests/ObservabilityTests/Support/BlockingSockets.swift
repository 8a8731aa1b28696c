import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Plain POSIX sockets for tests: a raw client that sends exact bytes (malformed HTTP included) and reads until
/// the peer closes or a timeout passes. Blocking work runs on a Dispatch queue, never on the cooperative pool.
enum TestSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs blocking work on a thread of its own: neither the cooperative pool nor Dispatch's global queue
    /// (whose width on Linux is the core count, so a few blocked reads would starve the rest of the tests).
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try work() })
            }
            thread.start()
        }
    }

    /// What a raw exchange produced.
    struct Exchange: Sendable {
        /// Everything read.
        var text: String
        /// Whether the peer closed the connection (as opposed to the read timing out).
        var closedByPeer: Bool
        /// How long the exchange took.
        var elapsed: Duration
    }

    /// Connects (TCP to host:port or Unix to path), sends `chunks` in order, then reads until EOF or `timeout`.
    /// `onFirstBytes` is called once, when the first bytes of the answer have been read.
    static func exchange(
        tcpHost: String? = nil,
        port: Int = 0,
        unixPath: String? = nil,
        send chunks: [[UInt8]],
        shutdownWrite: Bool = false,
        timeout: Duration = .seconds(30),
        onFirstBytes: (@Sendable () -> Void)? = nil
    ) async throws -> Exchange {
        try await offPool {
            let start = ContinuousClock.now
            let fd = try connectSocket(tcpHost: tcpHost, port: port, unixPath: unixPath)
            defer { close(fd) }
            var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            for chunk in chunks {
                var offset = 0
                while offset < chunk.count {
                    let n = chunk[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }  // the server may already have closed (an oversized request)
                    offset += n
                }
            }
            if shutdownWrite { shutdown(fd, Int32(SHUT_WR)) }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            var closed = false
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    if received.isEmpty { onFirstBytes?() }
                    received += buffer[0..<n]
                    continue
                }
                closed = n == 0 || errno == ECONNRESET
                break
            }
            return Exchange(
                text: String(decoding: received, as: UTF8.self),
                closedByPeer: closed,
                elapsed: ContinuousClock.now - start
            )
        }
    }

    static func connectSocket(tcpHost: String?, port: Int, unixPath: String?) throws -> Int32 {
        if let unixPath {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(unixPath.utf8)) }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard rc == 0 else { close(fd); throw Failure(description: "connect \(unixPath): errno \(errno)") }
            return fd
        }
        let host = tcpHost ?? "127.0.0.1"
        if host.contains(":") {
            let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            guard rc == 0 else { close(fd); throw Failure(description: "connect [\(host)]:\(port): errno \(errno)") }
            return fd
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw Failure(description: "connect \(host):\(port): errno \(errno)") }
        return fd
    }

    /// A fresh private directory for socket files, short enough for `sun_path`.
    static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/lvsd-obs-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw Failure(description: "mkdtemp: errno \(errno)")
        }
        return String(cString: made)
    }

    /// Removes a directory made by ``temporaryDirectory()`` and the files directly in it.
    static func removeDirectory(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

/// A parsed HTTP/1.1 response (status line, headers, body) from raw bytes.
struct RawHTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: String

    /// Parses the first response in `text`; nil when there is none.
    init?(_ text: String) {
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let headLines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusWords = headLines.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, statusWords[0].hasPrefix("HTTP/1."), let status = Int(statusWords[1]) else {
            return nil
        }
        self.status = status
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        var body = String(text[split.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) {
            body = String(decoding: Array(body.utf8).prefix(length), as: UTF8.self)
        }
        self.body = body
    }
}
