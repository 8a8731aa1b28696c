#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A client of the local syslog socket (`/dev/log`) that never blocks its caller.
///
/// It connects lazily, as glibc's `syslog(3)` does: a `SOCK_DGRAM` socket first, and a `SOCK_STREAM` one when
/// the path is a stream socket (`connect` fails with EPROTOTYPE), where each message is ended with a NUL as
/// glibc ends it. Sends use `MSG_DONTWAIT`: a message the daemon cannot take at once (its queue is full, it is
/// larger than a datagram may be, the socket is missing, the daemon restarted) is dropped and counted, never
/// waited for. After a failed connect or a broken connection, it tries to connect again at most once per
/// ``reconnectInterval``.
final class SyslogSocket: Sendable {
    /// The least time between two connection attempts.
    static let reconnectInterval: UInt64 = 1_000_000_000

    private struct State {
        var descriptor: Int32 = -1
        var isStream = false
        /// Monotonic nanoseconds before which no connection is attempted; nil before the first attempt.
        var nextAttemptAt: UInt64?
        var sent = 0
        var dropped = 0
    }

    /// What one send attempt did.
    private enum Outcome {
        case sent
        /// The daemon's queue is full, or the message too large for a datagram; the connection is fine.
        case dropped
        /// The connection is gone (the daemon restarted or closed it); reconnect.
        case broken
    }

    let path: String
    private let monotonicNanoseconds: @Sendable () -> UInt64
    private let state = Mutex(State())

    init(path: String, monotonicNanoseconds: @escaping @Sendable () -> UInt64) {
        self.path = path
        self.monotonicNanoseconds = monotonicNanoseconds
    }

    deinit {
        self.state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
        }
    }

    /// Messages handed to the daemon.
    var sentCount: Int { self.state.withLock { $0.sent } }

    /// Messages dropped: no socket, a full queue, or a broken connection.
    var droppedCount: Int { self.state.withLock { $0.dropped } }

    /// Sends one message (without the NUL a stream connection needs; that is added here), or drops it.
    func send(_ message: [UInt8]) {
        self.state.withLock { state in
            if state.descriptor < 0, !self.connect(&state) {
                state.dropped += 1
                return
            }
            var outcome = Self.transmit(message, state: &state)
            if case .broken = outcome {
                Self.disconnect(&state)
                outcome = self.connect(&state) ? Self.transmit(message, state: &state) : .broken
                if case .broken = outcome { Self.disconnect(&state) }
            }
            if case .sent = outcome { state.sent += 1 } else { state.dropped += 1 }
        }
    }

    // MARK: Private

    /// Connects if the last attempt is at least ``reconnectInterval`` old; true when connected.
    private func connect(_ state: inout State) -> Bool {
        let now = self.monotonicNanoseconds()
        if let next = state.nextAttemptAt, now < next { return false }
        state.nextAttemptAt = now &+ Self.reconnectInterval
        guard var address = Self.address(self.path) else { return false }
        for isStream in [false, true] {
            let type = isStream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
            let descriptor = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard descriptor >= 0 else { return false }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    systemConnect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if rc == 0 {
                state.descriptor = descriptor
                state.isStream = isStream
                return true
            }
            let failure = errno
            close(descriptor)
            guard failure == EPROTOTYPE else { return false }  // only a stream socket is worth a second try
        }
        return false
    }

    private static func transmit(_ message: [UInt8], state: inout State) -> Outcome {
        let bytes = state.isStream ? message + [0] : message
        var sent: Int
        repeat {
            sent = bytes.withUnsafeBytes {
                systemSend(state.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
            }
        } while sent < 0 && errno == EINTR
        if sent == bytes.count { return .sent }
        if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EMSGSIZE { return .dropped }
        // A short write on a stream leaves a partial message in it: only a new connection resynchronises.
        return .broken
    }

    private static func disconnect(_ state: inout State) {
        if state.descriptor >= 0 { close(state.descriptor) }
        state.descriptor = -1
    }

    private static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }
}

// Free functions, so that the C calls are not shadowed by ``SyslogSocket``'s own `connect` and `send`.
private func systemConnect(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(descriptor, address, length)
}

private func systemSend(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    send(descriptor, bytes, count, flags)
}
