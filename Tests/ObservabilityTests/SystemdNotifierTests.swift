import Glibc
import Observability
import Testing

/// A datagram socket bound in the test, standing in for systemd's notification socket.
///
/// ``next()`` never waits: a datagram sent to a Unix socket is queued before `sendto` returns. Only
/// ``collect(_:within:)`` blocks, and it is called through `TestSocket.offPool`, never on the cooperative pool.
private final class FakeNotifySocket: Sendable {
    let fd: Int32
    let name: String  // what NOTIFY_SOCKET would say

    init(abstract: Bool) throws {
        self.fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let unique = "lvsd-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var bytes: [UInt8]
        if abstract {
            self.name = "@" + unique
            bytes = [0] + Array(unique.utf8)
        } else {
            self.name = "/tmp/" + unique + ".sock"
            bytes = Array(self.name.utf8)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(2 + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { throw TestSocket.Failure(description: "bind \(name): errno \(errno)") }
    }

    /// The next queued datagram, or nil when none is queued.
    func next() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n >= 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    /// Blocks until `count` datagrams arrived or `timeout` passed; returns what arrived. Call off the pool.
    func collect(_ count: Int, within timeout: Duration) -> [String] {
        let deadline = ContinuousClock.now + timeout
        var received: [String] = []
        while received.count < count, ContinuousClock.now < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, 50) > 0, let message = next() { received.append(message) }
        }
        return received
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }
}

@Suite struct SystemdNotifierTests {
    @Test func withoutNotifySocketEverythingIsANoOp() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        try notifier.ready(status: "x")
        try notifier.reloading()
        try notifier.stopping()
        try notifier.send(["not an assignment"])  // not validated when nothing is sent
    }

    @Test(arguments: [false, true]) func sendsReadyStatusToAPathOrAbstractSocket(abstract: Bool) throws {
        let socket = try FakeNotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
        #expect(notifier.isEnabled)
        try notifier.ready(status: "2 virtual servers,\n5 real servers up")
        #expect(socket.next() == "READY=1\nSTATUS=2 virtual servers, 5 real servers up\n")
        try notifier.stopping()
        #expect(socket.next() == "STOPPING=1\n")
        try notifier.watchdog()
        #expect(socket.next() == "WATCHDOG=1\n")
        try notifier.status("reloading refused: keepalived.conf:3")
        #expect(socket.next() == "STATUS=reloading refused: keepalived.conf:3\n")
    }

    @Test func reloadingCarriesTheMonotonicClock() throws {
        let socket = try FakeNotifySocket(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        try notifier.reloading(status: "reloading")
        var after = timespec()
        clock_gettime(CLOCK_MONOTONIC, &after)
        let message = try #require(socket.next())
        let lines = message.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        #expect(lines.last == "STATUS=reloading")
        let usecText = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") }?.dropFirst("MONOTONIC_USEC=".count))
        let usec = try #require(UInt64(usecText))
        let low = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1000
        let high = UInt64(after.tv_sec) * 1_000_000 + UInt64(after.tv_nsec) / 1000
        #expect((low...high).contains(usec))
    }

    @Test func theWatchdogLoopPingsAtHalfTheIntervalUntilCancelled() async throws {
        let socket = try FakeNotifySocket(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "200000"])
        let started = ContinuousClock.now
        let loop = Task { await notifier.runWatchdog() }
        // Pings come every 100 ms; the receiving waits on a thread of its own, so the loop's task has the
        // cooperative pool to itself however busy the machine is. The bound is generous; a pass takes ~100 ms.
        let pings = try await TestSocket.offPool { socket.collect(2, within: .seconds(30)) }
        #expect(pings == ["WATCHDOG=1\n", "WATCHDOG=1\n"])
        #expect(ContinuousClock.now - started >= .milliseconds(100), "the second ping waits half the interval")
        loop.cancel()
        await loop.value
        // Once cancelled it stops: after draining what was in flight, nothing more arrives.
        while socket.next() != nil {}
        let late = try await TestSocket.offPool { socket.collect(1, within: .milliseconds(400)) }
        #expect(late.isEmpty)
        // Without WATCHDOG_USEC the loop returns at once.
        await SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name]).runWatchdog()
        #expect(socket.next() == nil)
    }

    @Test func invalidInputIsRejectedWithAClearError() throws {
        let socket = try FakeNotifySocket(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
        #expect(throws: SystemdNotifyError.self) { try notifier.send(["READY=1\nSTOPPING=1"]) }
        #expect(throws: SystemdNotifyError.self) { try notifier.send(["READY"]) }
        let relative = SystemdNotifier(environment: ["NOTIFY_SOCKET": "run/notify"])
        do {
            try relative.ready()
            Issue.record("a relative NOTIFY_SOCKET was accepted")
        } catch {
            #expect(error.description.contains("run/notify"))
            #expect(error.kind == .invalidSocketPath)
        }
        let missing = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/lvsd-notify.sock"])
        #expect(throws: SystemdNotifyError.self) { try missing.ready() }
    }

    @Test func watchdogSettingsAreParsedAsSdWatchdogEnabledDoes() {
        #expect(SystemdNotifier.parseWatchdog(usec: "30000000", pid: nil, ownPid: 7) == .seconds(30))
        #expect(SystemdNotifier.parseWatchdog(usec: "500", pid: "7", ownPid: 7) == .microseconds(500))
        #expect(SystemdNotifier.parseWatchdog(usec: "500", pid: "8", ownPid: 7) == nil)
        #expect(SystemdNotifier.parseWatchdog(usec: "500", pid: "x", ownPid: 7) == nil)
        #expect(SystemdNotifier.parseWatchdog(usec: "0", pid: nil, ownPid: 7) == nil)
        #expect(SystemdNotifier.parseWatchdog(usec: "-5", pid: nil, ownPid: 7) == nil)
        #expect(SystemdNotifier.parseWatchdog(usec: "12s", pid: nil, ownPid: 7) == nil)
        #expect(SystemdNotifier.parseWatchdog(usec: nil, pid: nil, ownPid: 7) == nil)
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "42"], pid: 42)
        #expect(notifier.watchdogInterval == .seconds(2))
    }
}
