#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// sd_notify(3) without libsystemd: sends state datagrams to the socket systemd names in `$NOTIFY_SOCKET`.
///
/// Under a unit with `Type=notify` or `Type=notify-reload`, systemd waits for `READY=1` before it considers
/// lvsd started, and (with `notify-reload`) sends SIGHUP on `systemctl reload` and waits for `RELOADING=1`
/// followed by `READY=1`. When `NOTIFY_SOCKET` is unset (started by hand, or `Type=simple`) every call is a
/// no-op that reports success.
///
/// The daemon calls:
/// - ``ready(status:)`` once the configuration is applied and the checkers run;
/// - ``reloading(status:)`` when SIGHUP arrives, and ``ready(status:)`` again when the reload is done
///   (applied or refused);
/// - ``stopping(status:)`` when SIGTERM arrives, before it cleans the kernel table up;
/// - ``watchdog()`` every ``watchdogInterval``/2 when that is set (`WatchdogSec=` in the unit);
/// - ``status(_:)`` whenever a one-line summary for `systemctl status` changes.
///
/// Both path sockets (`/run/systemd/notify`) and abstract ones (`@/org/freedesktop/systemd1/notify/...`) work.
public struct SystemdNotifier: Sendable {
    /// The socket the notifications go to, or nil when `NOTIFY_SOCKET` was unset or empty.
    public let socketPath: String?

    /// How often systemd expects ``watchdog()``: `WATCHDOG_USEC`, when set, valid, and meant for this process
    /// (`WATCHDOG_PID` unset or equal to our pid). Send a keep-alive at half this interval.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the process environment.
    public init() {
        self.init(environment: Self.processEnvironment(["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]))
    }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the given environment (for tests).
    ///
    /// - Parameters:
    ///   - environment: Variable names and values.
    ///   - pid: The process the watchdog settings must be meant for; the current process by default.
    public init(environment: [String: String], pid: Int32 = getpid()) {
        let path = environment["NOTIFY_SOCKET"] ?? ""
        self.socketPath = path.isEmpty ? nil : path
        self.watchdogInterval = Self.parseWatchdog(
            usec: environment["WATCHDOG_USEC"],
            pid: environment["WATCHDOG_PID"],
            ownPid: pid
        )
    }

    /// Whether notifications go anywhere (`NOTIFY_SOCKET` is set).
    public var isEnabled: Bool { self.socketPath != nil }

    /// Parses `WATCHDOG_USEC` as sd_watchdog_enabled(3) does: a positive integer of microseconds, honoured only
    /// when `WATCHDOG_PID` is unset or names `ownPid`. Anything else gives nil.
    public static func parseWatchdog(usec: String?, pid: String?, ownPid: Int32) -> Duration? {
        guard let usec, let micros = UInt64(usec), micros > 0, micros < UInt64(Int64.max) else { return nil }
        if let pid {
            guard let target = Int32(pid), target == ownPid else { return nil }
        }
        return .microseconds(Int64(micros))
    }

    // MARK: Messages

    /// Tells systemd that start-up (or a reload) is complete: `READY=1`, with an optional `STATUS=`.
    public func ready(status: String? = nil) throws(SystemdNotifyError) {
        try self.send(["READY=1"] + Self.statusLine(status))
    }

    /// Tells systemd that a reload began: `RELOADING=1` and `MONOTONIC_USEC=` (required by `notify-reload`).
    ///
    /// Follow it with ``ready(status:)`` when the reload is done, whether it was applied or refused.
    public func reloading(status: String? = nil) throws(SystemdNotifyError) {
        try self.send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"] + Self.statusLine(status))
    }

    /// Tells systemd that the daemon is shutting down: `STOPPING=1`.
    public func stopping(status: String? = nil) throws(SystemdNotifyError) {
        try self.send(["STOPPING=1"] + Self.statusLine(status))
    }

    /// Sets the one-line status `systemctl status` shows: `STATUS=`.
    public func status(_ text: String) throws(SystemdNotifyError) {
        try self.send(Self.statusLine(text))
    }

    /// Keeps the service watchdog fed: `WATCHDOG=1`.
    ///
    /// Unlike the other messages this one never waits: when systemd's queue is full the ping is dropped (and
    /// EAGAIN thrown), since the next one follows within half the interval and a caller on the cooperative pool
    /// must not block.
    public func watchdog() throws(SystemdNotifyError) {
        try self.send(["WATCHDOG=1"], wait: false)
    }

    /// Sends `WATCHDOG=1` every half ``watchdogInterval`` until the calling task is cancelled.
    ///
    /// Returns at once when the watchdog is not enabled. Send failures are ignored: systemd restarts a daemon
    /// whose keep-alives stop arriving, which is the right outcome either way. Run it in a task of its own:
    ///
    /// ```swift
    /// let watchdog = Task { await notifier.runWatchdog() }
    /// ...
    /// watchdog.cancel()
    /// ```
    public func runWatchdog() async {
        guard self.isEnabled, let interval = self.watchdogInterval else { return }
        while !Task.isCancelled {
            try? self.watchdog()
            do {
                try await Task.sleep(for: interval / 2)
            } catch {
                return
            }
        }
    }

    /// Sends raw `KEY=value` assignments in one datagram, one per line.
    ///
    /// - Throws: ``SystemdNotifyError`` when an assignment contains a newline or has no `=`, or the datagram
    ///   cannot be sent. Nothing is sent (and nothing thrown) when `NOTIFY_SOCKET` is unset.
    public func send(_ assignments: [String]) throws(SystemdNotifyError) {
        try self.send(assignments, wait: true)
    }

    // MARK: Private

    /// `wait`: whether to wait while systemd's queue is full (a blocking send) or fail at once with EAGAIN.
    private func send(_ assignments: [String], wait: Bool) throws(SystemdNotifyError) {
        guard let path = self.socketPath else { return }
        for assignment in assignments where assignment.contains("\n") || !assignment.contains("=") {
            throw SystemdNotifyError(kind: .invalidAssignment(assignment), socketPath: path)
        }
        guard !assignments.isEmpty else { return }
        try Self.sendDatagram(assignments.joined(separator: "\n") + "\n", to: path, wait: wait)
    }

    private static func statusLine(_ status: String?) -> [String] {
        guard let status else { return [] }
        // STATUS= is one line; fold any newline so a multi-line message cannot inject other assignments.
        return ["STATUS=" + status.split(whereSeparator: \.isNewline).joined(separator: " ")]
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }

    private static func processEnvironment(_ names: [String]) -> [String: String] {
        var environment: [String: String] = [:]
        for name in names {
            if let value = getenv(name) {
                environment[name] = String(cString: value)
            }
        }
        return environment
    }

    private static func sendDatagram(_ message: String, to path: String, wait: Bool) throws(SystemdNotifyError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        let isAbstract = pathBytes.first == UInt8(ascii: "@")
        if isAbstract {
            pathBytes[0] = 0  // Linux abstract namespace: a leading NUL, length without a terminator.
        }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity, isAbstract || pathBytes.first == UInt8(ascii: "/") else {
            throw SystemdNotifyError(kind: .invalidSocketPath, socketPath: path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + pathBytes.count + (isAbstract ? 0 : 1))

        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else {
            throw SystemdNotifyError(kind: .system(operation: "socket", errno: errno), socketPath: path)
        }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let flags = Int32(MSG_NOSIGNAL) | (wait ? 0 : Int32(MSG_DONTWAIT))
        var sent: Int
        repeat {
            sent = bytes.withUnsafeBytes { buffer in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                        sendto(fd, buffer.baseAddress, buffer.count, flags, sockaddrPointer, length)
                    }
                }
            }
        } while sent < 0 && errno == EINTR
        guard sent == bytes.count else {
            throw SystemdNotifyError(kind: .system(operation: "sendto", errno: sent < 0 ? errno : EMSGSIZE), socketPath: path)
        }
    }
}

/// Why a systemd notification could not be sent.
public struct SystemdNotifyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// `NOTIFY_SOCKET` is neither an absolute path nor an abstract `@` name, or is too long.
        case invalidSocketPath
        /// An assignment had no `=` or contained a newline.
        case invalidAssignment(String)
        /// A system call failed with this errno.
        case system(operation: String, errno: Int32)
    }

    /// What went wrong.
    public let kind: Kind
    /// The `NOTIFY_SOCKET` value the notification was for.
    public let socketPath: String

    /// A one-line message naming the socket.
    public var description: String {
        switch self.kind {
        case .invalidSocketPath:
            return "NOTIFY_SOCKET '\(self.socketPath)' is not an absolute path or an abstract '@' socket name"
        case .invalidAssignment(let text):
            return "invalid sd_notify assignment '\(text)' (need KEY=value on one line)"
        case .system(let operation, let code):
            return "sd_notify to \(self.socketPath): \(operation): \(String(cString: strerror(code)))"
        }
    }
}
