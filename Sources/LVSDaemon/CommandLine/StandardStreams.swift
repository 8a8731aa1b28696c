#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// lvsd's one way to write to standard output and standard error: whole buffers, retried on short writes and
/// EINTR, never through a buffered stream that a daemonised process might not flush.
public enum StandardStreams {
    /// Writes `text` to standard output as it is.
    public static func out(_ text: String) { write(text, to: 1) }

    /// Writes `line` and a newline to standard error.
    public static func errorLine(_ line: String) { write(line + "\n", to: 2) }

    /// Writes all of `text` to `descriptor`; stops quietly if the descriptor is closed or broken.
    public static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
