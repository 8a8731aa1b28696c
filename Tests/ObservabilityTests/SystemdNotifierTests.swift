import Glibc
import Observability
import Testing

/// A datagram socket bound in the test, standing in for systemd's notification socket.
private final class FakeNotifySocket {
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
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: Double = 2) -> String? {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
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
        #expect(socket.receive() == "READY=1\nSTATUS=2 virtual servers, 5 real servers up\n")
        try notifier.stopping()
        #expect(socket.receive() == "STOPPING=1\n")
        try notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1\n")
        try notifier.status("reloading refused: keepalived.conf:3")
        #expect(socket.receive() == "STATUS=reloading refused: keepalived.conf:3\n")
    }

    @Test func reloadingCarriesTheMonotonicClock() throws {
        let socket = try FakeNotifySocket(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name])
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        try notifier.reloading(status: "reloading")
        var after = timespec()
        clock_gettime(CLOCK_MONOTONIC, &after)
        let message = try #require(socket.receive())
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
        let loop = Task { await notifier.runWatchdog() }
        // Pings come every 100 ms; on a loaded machine they may come late, so wait (bounded) for two.
        var pings = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while pings < 2, ContinuousClock.now < deadline {
            if let message = socket.receive(timeout: 0.1) {
                #expect(message == "WATCHDOG=1\n")
                pings += 1
            }
        }
        #expect(pings >= 2)
        loop.cancel()
        await loop.value
        // Once cancelled it stops: after draining what was in flight, nothing more arrives.
        while socket.receive(timeout: 0.05) != nil {}
        #expect(socket.receive(timeout: 0.4) == nil)
        // Without WATCHDOG_USEC the loop returns at once.
        await SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name]).runWatchdog()
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
