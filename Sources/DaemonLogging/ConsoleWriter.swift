#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where console lines (`-l`) are written; standard error except in tests.
public struct ConsoleWriter: Sendable {
    /// Writes one complete line, its newline included. Called with the handler's console lock held, so lines
    /// from different threads never interleave.
    public var write: @Sendable (String) -> Void

    /// Creates a writer from a closure that receives each line, newline included.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Writes to file descriptor 2, retrying short writes and EINTR; a line that cannot be written is dropped.
    public static let standardError = ConsoleWriter { line in writeAll(Array(line.utf8), to: 2) }
}

/// Writes all of `bytes` to `descriptor`, retrying short writes and EINTR; gives up on any other error. The
/// project's one write loop: lvsd's log and command-line output and lvsctl's output all go through it.
public func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0, errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}
