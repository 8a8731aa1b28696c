import DaemonLogging

/// lvsd's one way to write to standard output and standard error: whole buffers through DaemonLogging's
/// `writeAll` (retried on short writes and EINTR), never through a buffered stream that a daemonised process might
/// not flush.
public enum StandardStreams {
    /// Writes `text` to standard output as it is.
    public static func out(_ text: String) { writeAll(Array(text.utf8), to: 1) }

    /// Writes `line` and a newline to standard error.
    public static func errorLine(_ line: String) { writeAll(Array((line + "\n").utf8), to: 2) }
}
