import DaemonLogging
#if canImport(Glibc)
import Glibc
#endif

/// Buffered stdout and unbuffered stderr, written with `write(2)`.
enum Output {
    nonisolated(unsafe) static var buffer: [UInt8] = []

    static func out(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    static func out(bytes: [UInt8]) {
        if buffer.isEmpty {
            buffer = bytes
        } else {
            buffer.append(contentsOf: bytes)
        }
        if buffer.count > 1 << 16 { flush() }
    }

    static func flush() {
        writeAll(buffer, to: 1)
        buffer.removeAll(keepingCapacity: true)
    }

    static func err(_ s: String) {
        flush()
        writeAll(Array(s.utf8), to: 2)
    }

    static func exit(_ status: Int32) -> Never {
        flush()
        Glibc.exit(status)
    }

    /// Reads a whole file descriptor or path.
    static func readAll(fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return data
    }

    static func readFile(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func readBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readAll(fd: fd)
    }
}
