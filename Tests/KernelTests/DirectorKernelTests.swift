import Director
import Foundation
import IPVSKit
import Testing

/// The director against the real kernel, each test in its own network namespace.
///
/// Traffic: the namespace gets a veth pair with 10.9.0.254/24 on one end; a local client's SYN to the VIP is
/// scheduled by IPVS (LOCAL_OUT) and forwarded (DR) to a real server address that never answers, which leaves a
/// connection entry (ActiveConn) and non-zero service counters (which the kernel folds in every 2 s, hence the wait):
/// enough to tell an adopted entry from a re-created one.
@Suite("Kernel: director")
struct DirectorKernelTests {
    static let vip = ip("10.9.0.1")
    static let key = ServiceKey.address(.tcp, vip, port: 80)
    static let vsID = VirtualServerID.service(key)

    static func real(_ n: Int, weight: Int32 = 1, inhibit: Bool? = nil) -> RealServerSpec {
        RealServerSpec(address: ip("10.9.0.\(n)"), port: 80, forwarding: .route, weight: weight,
                       inhibitOnFailure: inhibit, checkers: [CheckerSpec(id: "tcp")])
    }

    static func spec(_ servers: [RealServerSpec], scheduler: String = "wlc", quorum: UInt32 = 1,
                     sorry: SorryServerSpec? = nil, drain: Duration? = nil) -> VirtualServerSpec {
        VirtualServerSpec(service: Service(key: key, scheduler: scheduler), forwarding: .route, realServers: servers,
                          quorum: quorum, sorryServer: sorry, drainTimeout: drain)
    }

    static func event(_ n: Int, up: Bool) -> CheckerEvent {
        CheckerEvent(realServer: RealServerID(vsID, ip("10.9.0.\(n)"), 80), checker: "tcp", up: up)
    }

    /// A namespace with a network the VIP routes into.
    static func network(_ label: String) throws -> TestNamespace {
        let ns = try TestNamespace(label)
        for args in [["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
                     ["addr", "add", "10.9.0.254/24", "dev", "v0"],
                     ["link", "set", "v0", "up"], ["link", "set", "v1", "up"]] {
            let r = try ns.exec("/sbin/ip", args)
            guard r.status == 0 else { throw TestFailure("ip \(args.joined(separator: " ")): \(r.stderr)") }
        }
        return ns
    }

    /// Opens TCP connections to the VIP from inside the namespace (they stay half-open in IPVS).
    static func connect(_ ns: TestNamespace, count: Int = 2) throws {
        let code = "import socket\nfor _ in range(\(count)):\n    s=socket.socket(); s.setblocking(False); s.connect_ex(('10.9.0.1',80)); socket.socket().close()\nimport time; time.sleep(2.5)"
        try ns.exec("/usr/bin/python3", ["-c", code])
    }

    static func entry(_ ns: TestNamespace) throws -> ServiceEntry? {
        try ns.client().table().first { $0.service.key == key }
    }

    static func weights(_ ns: TestNamespace) throws -> [String: Int32] {
        var out: [String: Int32] = [:]
        for d in try entry(ns)?.destinations ?? [] { out[d.address.description] = d.weight }
        return out
    }

    @Test func startAdoptsExistingEntriesAndKeepsTheirCounters() throws {
        let ns = try Self.network("adopt")
        try ns.ipvsadm("-A", "-t", "10.9.0.1:80", "-s", "wlc")
        try ns.ipvsadm("-a", "-t", "10.9.0.1:80", "-r", "10.9.0.2:80", "-g", "-w", "1")
        try ns.ipvsadm("-a", "-t", "10.9.0.1:80", "-r", "10.9.0.3:80", "-g", "-w", "1")
        try Self.connect(ns)
        let before = try #require(try Self.entry(ns))
        let active = before.destinations.reduce(0) { $0 + $1.activeConnections + $1.inactiveConnections }
        #expect(active > 0, "the test needs live connection entries")
        let saved = try ns.ipvsadm("-Sn")

        let director = Director(kernel: try ns.client())
        let u = try director.start([Self.spec([Self.real(2), Self.real(3)])])
        #expect(u.operations.isEmpty, "a matching table is adopted, not re-created: \(u.operations)")
        #expect(try ns.ipvsadm("-Sn") == saved)
        let after = try #require(try Self.entry(ns))
        #expect(after.service.stats.connections >= before.service.stats.connections)
        #expect(after.service.stats.connections > 0)
        #expect(after.destinations.reduce(0) { $0 + $1.activeConnections + $1.inactiveConnections } == active)
    }

    @Test func startEditsDifferencesInPlace() throws {
        let ns = try Self.network("edit")
        try ns.ipvsadm("-A", "-t", "10.9.0.1:80", "-s", "rr")
        try ns.ipvsadm("-a", "-t", "10.9.0.1:80", "-r", "10.9.0.2:80", "-g", "-w", "7")
        try ns.ipvsadm("-A", "-u", "10.9.0.1:53", "-s", "rr")
        try Self.connect(ns)
        let conns = try #require(try Self.entry(ns)).service.stats.connections
        let director = Director(kernel: try ns.client())
        let u = try director.start([Self.spec([Self.real(2, weight: 2), Self.real(3)])])
        #expect(u.operations.map(\.description) == ["set-service TCP 10.9.0.1:80", "set-dest TCP 10.9.0.1:80 -> 10.9.0.2:80",
                                                     "new-dest TCP 10.9.0.1:80 -> 10.9.0.3:80"])
        #expect(try ns.ipvsadm("-Sn") == """
            -A -t 10.9.0.1:80 -s wlc
            -a -t 10.9.0.1:80 -r 10.9.0.2:80 -g -w 2
            -a -t 10.9.0.1:80 -r 10.9.0.3:80 -g -w 1
            -A -u 10.9.0.1:53 -s rr

            """)
        #expect(try #require(try Self.entry(ns)).service.stats.connections >= conns, "edited, not re-created")
        #expect(conns > 0)
    }

    /// A program running in the background inside a namespace.
    final class Background {
        let process = Process()
        let output: Pipe?
        init(_ ns: TestNamespace, _ args: [String], capture: Bool = true) throws {
            process.executableURL = URL(fileURLWithPath: "/sbin/ip")
            process.arguments = ["netns", "exec", ns.name] + args
            output = capture ? closeOnExecPipe() : nil
            process.standardOutput = output ?? FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try launch(process)
        }
        /// Waits for the program (terminating it after `seconds`) and returns what it printed.
        func finish(within seconds: Double) -> String {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(100_000) }
            // SIGKILL: the child may inherit a signal mask that blocks SIGTERM.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            guard let output else { return "" }
            return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    @Test func establishedConnectionSurvivesRestartAndReload() throws {
        // Director namespace with the client; server namespace holding the VIP on lo (direct routing).
        let ns = try TestNamespace("estab")
        let server = try TestNamespace("estab-rs")
        for args in [["link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", server.name],
                     ["addr", "add", "10.9.0.254/24", "dev", "v0"], ["link", "set", "v0", "up"]] {
            let r = try ns.exec("/sbin/ip", args)
            guard r.status == 0 else { throw TestFailure("ip \(args): \(r.stderr)") }
        }
        for args in [["addr", "add", "10.9.0.2/24", "dev", "v1"], ["link", "set", "v1", "up"],
                     ["addr", "add", "10.9.0.1/32", "dev", "lo"]] {
            let r = try server.exec("/sbin/ip", args)
            guard r.status == 0 else { throw TestFailure("ip \(args): \(r.stderr)") }
        }
        let echo = """
            import socket, threading
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("10.9.0.1", 80)); s.listen(8)
            def serve(c):
                while True:
                    d = c.recv(100)
                    if not d: return
                    c.sendall(d)
            while True:
                c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
            """
        let go = "/tmp/\(ns.name)-go"
        let client = """
            import socket, time, os
            for _ in range(100):
                try:
                    c = socket.create_connection(("10.9.0.1", 80), timeout=2); break
                except OSError: time.sleep(0.1)
            c.sendall(b"a"); print(c.recv(10).decode(), flush=True)
            while not os.path.exists("\(go)"): time.sleep(0.1)
            c.sendall(b"b"); print(c.recv(10).decode(), flush=True)
            """
        let specs = [Self.spec([Self.real(2), Self.real(3, weight: 0)])]
        do {
            let first = Director(kernel: try ns.client())
            _ = try first.start(specs)
        }
        let echoServer = try Background(server, ["/usr/bin/python3", "-c", echo], capture: false)
        let clientProcess = try Background(ns, ["/usr/bin/python3", "-c", client])
        var established = false
        for _ in 0..<100 where !established {
            usleep(100_000)
            let d = try Self.entry(ns)?.destinations.first { $0.address == ip("10.9.0.2") }
            established = (d?.activeConnections ?? 0) > 0
        }
        #expect(established, "the client's connection is in the IPVS table")

        // kill -9 and start again: everything adopted, nothing sent to the kernel.
        let second = Director(kernel: try ns.client())
        #expect(try second.start(specs).operations.isEmpty)
        // Reload with a new weight and scheduler: edits in place.
        let u = try second.reload([Self.spec([Self.real(2, weight: 3), Self.real(3, weight: 0)], scheduler: "rr")])
        #expect(u.operations.map(\.description) == ["set-service TCP 10.9.0.1:80", "set-dest TCP 10.9.0.1:80 -> 10.9.0.2:80"])

        let kept = try Self.entry(ns)?.destinations.first { $0.address == ip("10.9.0.2") }
        #expect((kept?.activeConnections ?? 0) > 0, "the connection entry survived restart and reload")
        _ = FileManager.default.createFile(atPath: go, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: go) }
        let out = clientProcess.finish(within: 20)
        _ = echoServer.finish(within: 0)
        #expect(out == "a\nb\n", "the same TCP connection still works after restart and reload")
    }

    @Test func inhibitKeepsWeightZeroWhileRemovalDeletes() throws {
        let ns = try Self.network("inhibit")
        let director = Director(kernel: try ns.client())
        _ = try director.start([Self.spec([Self.real(2, inhibit: true), Self.real(3), Self.real(4, weight: 3)])])
        #expect(try Self.weights(ns) == ["10.9.0.2": 1, "10.9.0.3": 1, "10.9.0.4": 3])
        let u = director.handle([Self.event(2, up: false), Self.event(3, up: false)])
        #expect(u.logLines == ["Disabling service [10.9.0.2]:tcp:80 of VS [10.9.0.1]:tcp:80",
                               "Removing service [10.9.0.3]:tcp:80 from VS [10.9.0.1]:tcp:80"])
        #expect(try Self.weights(ns) == ["10.9.0.2": 0, "10.9.0.4": 3])
        _ = director.handle([Self.event(2, up: true), Self.event(3, up: true)])
        #expect(try Self.weights(ns) == ["10.9.0.2": 1, "10.9.0.3": 1, "10.9.0.4": 3])
    }

    @Test func sorryServerSwapsInWhenQuorumIsLost() throws {
        let ns = try Self.network("sorry")
        let director = Director(kernel: try ns.client())
        let sorry = SorryServerSpec(address: ip("10.9.0.99"), port: 80)
        _ = try director.start([Self.spec([Self.real(2), Self.real(3)], quorum: 2, sorry: sorry)])
        let lost = director.handle(Self.event(2, up: false))
        #expect(lost.logLines.contains("Adding sorry server [10.9.0.99]:tcp:80 to VS [10.9.0.1]:tcp:80"))
        #expect(try Self.weights(ns) == ["10.9.0.99": 1])
        _ = director.handle(Self.event(2, up: true))
        #expect(try Self.weights(ns) == ["10.9.0.2": 1, "10.9.0.3": 1])
    }

    @Test func reloadEditsInPlaceAndKeepsCounters() throws {
        let ns = try Self.network("reload")
        let director = Director(kernel: try ns.client())
        _ = try director.start([Self.spec([Self.real(2), Self.real(3), Self.real(4)])])
        try Self.connect(ns, count: 4)
        let before = try #require(try Self.entry(ns))
        #expect(before.service.stats.connections > 0)
        let u = try director.reload([Self.spec([Self.real(2, weight: 5), Self.real(3)], scheduler: "rr")])
        #expect(u.operations.map(\.description) == ["set-service TCP 10.9.0.1:80", "del-dest TCP 10.9.0.1:80 -> 10.9.0.4:80",
                                                     "set-dest TCP 10.9.0.1:80 -> 10.9.0.2:80"])
        let after = try #require(try Self.entry(ns))
        #expect(after.service.scheduler == "rr")
        #expect(after.service.stats.connections >= before.service.stats.connections)
        let kept = { (e: ServiceEntry) in e.destinations.filter { $0.address != ip("10.9.0.4") }.reduce(UInt32(0)) { $0 + $1.activeConnections + $1.inactiveConnections } }
        #expect(kept(after) == kept(before), "connections of kept servers survive the reload")
        #expect(try Self.weights(ns) == ["10.9.0.2": 5, "10.9.0.3": 1])
    }

    @Test func drainKeepsBusyServersAtWeightZeroUntilTimeout() throws {
        let ns = try Self.network("drain")
        let director = Director(kernel: try ns.client())
        var now = ContinuousClock.now
        let spec = { (servers: [RealServerSpec]) in Self.spec(servers, scheduler: "rr", drain: .seconds(30)) }
        _ = try director.start([spec([Self.real(2), Self.real(3), Self.real(4)])], now: now)
        // Only 10.9.0.2 gets traffic: make it the only server with weight for a moment.
        try ns.ipvsadm("-e", "-t", "10.9.0.1:80", "-r", "10.9.0.3:80", "-g", "-w", "0")
        try ns.ipvsadm("-e", "-t", "10.9.0.1:80", "-r", "10.9.0.4:80", "-g", "-w", "0")
        try Self.connect(ns)
        _ = director.tick(now: now)
        let busy = try #require(try Self.entry(ns)?.destinations.first { $0.address == ip("10.9.0.2") })
        #expect(busy.activeConnections + busy.inactiveConnections > 0)

        let u = try director.reload([spec([Self.real(3)])], now: now)
        #expect(u.logLines.contains("Removing drained service [10.9.0.4]:tcp:80 from VS [10.9.0.1]:tcp:80: no connections left"))
        #expect(try Self.weights(ns) == ["10.9.0.2": 0, "10.9.0.3": 1], "busy 10.9.0.2 drains, idle 10.9.0.4 is gone")
        now = now + .seconds(10)
        #expect(director.tick(now: now).logLines.isEmpty)
        #expect(try Self.weights(ns) == ["10.9.0.2": 0, "10.9.0.3": 1])
        now = now + .seconds(21)
        let done = director.tick(now: now)
        #expect(done.logLines.contains { $0.hasPrefix("Removing drained service [10.9.0.2]:tcp:80 from VS [10.9.0.1]:tcp:80: drain timeout passed") })
        #expect(try Self.weights(ns) == ["10.9.0.3": 1])
    }

    @Test func drainDeletesOnceConnectionsReachZero() throws {
        let ns = try Self.network("drain0")
        // UDP connection entries expire after the UDP timeout, which a test can make short.
        try ns.ipvsadm("--set", "0", "0", "2")
        let dns = ServiceKey.address(.udp, Self.vip, port: 53)
        let spec = { (servers: [Int]) in
            VirtualServerSpec(service: Service(key: dns, scheduler: "rr"), forwarding: .route,
                              realServers: servers.map { RealServerSpec(address: ip("10.9.0.\($0)"), port: 53, forwarding: .route) },
                              drainTimeout: .seconds(600))
        }
        let director = Director(kernel: try ns.client())
        _ = try director.start([spec([2])])
        try ns.exec("/usr/bin/python3", ["-c", "import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(3): s.sendto(b'x', ('10.9.0.1', 53))"])
        let counted = try #require(try ns.client().table().first { $0.service.key == dns }?.destinations.first)
        #expect(counted.activeConnections + counted.inactiveConnections > 0)

        let u = try director.reload([spec([3])])
        #expect(u.logLines.contains("Draining service [10.9.0.2]:udp:53 of VS [10.9.0.1]:udp:53: weight 0 until its connections end or 600.0 seconds pass"))
        let draining = try ns.client().table().first { $0.service.key == dns }?.destinations.map { "\($0.address) \($0.weight)" }
        #expect(draining?.sorted() == ["10.9.0.2 0", "10.9.0.3 1"])
        #expect(director.tick().logLines.isEmpty, "still has connections")

        // Wait for the entries to expire (2 s UDP timeout, checked by the kernel's timer).
        var done: [String] = []
        for _ in 0..<20 where done.isEmpty {
            try ns.exec("/bin/sleep", ["0.5"])
            done = director.tick().logLines
        }
        #expect(done == ["Removing drained service [10.9.0.2]:udp:53 from VS [10.9.0.1]:udp:53: no connections left"])
        #expect(try ns.client().table().first { $0.service.key == dns }?.destinations.map(\.address) == [ip("10.9.0.3")])
    }

    @Test func removedVirtualServerDrainsThenGoes() throws {
        let ns = try Self.network("drainvs")
        try ns.ipvsadm("--set", "0", "0", "2")
        let dns = ServiceKey.address(.udp, Self.vip, port: 53)
        let spec = VirtualServerSpec(service: Service(key: dns, scheduler: "rr"), forwarding: .route,
                                     realServers: [RealServerSpec(address: ip("10.9.0.2"), port: 53, forwarding: .route)],
                                     drainTimeout: .seconds(600))
        let director = Director(kernel: try ns.client())
        _ = try director.start([spec])
        try ns.exec("/usr/bin/python3", ["-c", "import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.sendto(b'x', ('10.9.0.1', 53))"])
        _ = try director.reload([])
        #expect(try ns.ipvsadm("-Sn") == "-A -u 10.9.0.1:53 -s rr\n-a -u 10.9.0.1:53 -r 10.9.0.2:53 -g -w 0\n")
        var done: [String] = []
        for _ in 0..<20 where done.isEmpty {
            try ns.exec("/bin/sleep", ["0.5"])
            done = director.tick().logLines
        }
        #expect(done == ["Removing drained service [10.9.0.2]:udp:53 from VS [10.9.0.1]:udp:53: no connections left",
                         "Removing Virtual Server [10.9.0.1]:udp:53: drained"])
        #expect(try ns.ipvsadm("-Sn") == "")
    }

    @Test func tickRepairsHandEdits() throws {
        let ns = try Self.network("drift")
        let director = Director(kernel: try ns.client())
        _ = try director.start([Self.spec([Self.real(2, weight: 2), Self.real(3)])])
        try ns.ipvsadm("-e", "-t", "10.9.0.1:80", "-r", "10.9.0.2:80", "-g", "-w", "9")
        try ns.ipvsadm("-d", "-t", "10.9.0.1:80", "-r", "10.9.0.3:80")
        try ns.ipvsadm("-a", "-t", "10.9.0.1:80", "-r", "10.9.0.77:80", "-g")
        let u = director.tick()
        #expect(u.logLines.sorted() == [
            "Repairing kernel drift: service [10.9.0.2]:tcp:80 of VS [10.9.0.1]:tcp:80 was changed in the kernel (weight 9, wanted 2); restoring it",
            "Repairing kernel drift: service [10.9.0.3]:tcp:80 of VS [10.9.0.1]:tcp:80 is missing from the kernel table; re-adding it with weight 1",
            "Repairing kernel drift: service [10.9.0.77]:tcp:80 of VS [10.9.0.1]:tcp:80 is in the kernel table but not wanted; removing it",
        ])
        #expect(try Self.weights(ns) == ["10.9.0.2": 2, "10.9.0.3": 1])
        try ns.ipvsadm("-D", "-t", "10.9.0.1:80")
        _ = director.tick()
        #expect(try Self.weights(ns) == ["10.9.0.2": 2, "10.9.0.3": 1], "a deleted service is re-created")
    }

    @Test func shutdownRemovesWhatLvsdManagesOnly() throws {
        let ns = try Self.network("stop")
        try ns.ipvsadm("-A", "-u", "10.9.0.1:53", "-s", "rr")
        let director = Director(kernel: try ns.client())
        _ = try director.start([Self.spec([Self.real(2), Self.real(3)])])
        let u = director.shutdown()
        #expect(u.logLines == ["Shutting down service [10.9.0.2]:tcp:80 from VS [10.9.0.1]:tcp:80",
                               "Shutting down service [10.9.0.3]:tcp:80 from VS [10.9.0.1]:tcp:80"])
        #expect(try ns.ipvsadm("-Sn") == "-A -u 10.9.0.1:53 -s rr\n")
    }

    @Test func abruptStopLeavesTheTableAndANewDirectorAdoptsIt() throws {
        let ns = try Self.network("restart")
        let specs = [Self.spec([Self.real(2, inhibit: true), Self.real(3)])]
        do {
            let first = Director(kernel: try ns.client())
            _ = try first.start(specs)
            _ = first.handle(Self.event(2, up: false))
            // No shutdown: the process "dies" here.
        }
        try Self.connect(ns)
        let saved = try ns.ipvsadm("-Sn")
        let second = Director(kernel: try ns.client())
        let u = try second.start(specs)
        // Non-alpha start assumes every server up, so the inhibited one goes back to its weight: an edit only.
        #expect(u.operations.map(\.description) == ["set-dest TCP 10.9.0.1:80 -> 10.9.0.2:80"])
        #expect(saved.contains("-r 10.9.0.2:80 -g -w 0"))
        #expect(try Self.weights(ns) == ["10.9.0.2": 1, "10.9.0.3": 1])
    }

    @Test func garbageIsRefusedWithoutHalfApplying() throws {
        let ns = try Self.network("garbage")
        let director = Director(kernel: try ns.client())
        _ = try director.start([Self.spec([Self.real(2)])])
        let saved = try ns.ipvsadm("-Sn")
        // Invalid in the spec: refused before the kernel sees anything.
        var bad = Self.spec([Self.real(2), RealServerSpec(address: ip("2001:db8::3"), port: 80, forwarding: .route)])
        bad.service.scheduler = "sixteen-chars-xx"
        do {
            _ = try director.reload([bad])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("virtual server [10.9.0.1]:tcp:80: scheduler name 'sixteen-chars-xx' is longer than 15 characters"))
            #expect(error.description.contains("real server [2001:db8::3]:tcp:80"))
        }
        // Valid in form but refused by the kernel (no such scheduler): rolled back as a whole.
        let second = ServiceKey.address(.tcp, ip("10.9.0.5"), port: 443)
        var unknown = VirtualServerSpec(service: Service(key: second, scheduler: "nosuchsched"), forwarding: .route,
                                        realServers: [RealServerSpec(address: ip("10.9.0.6"), port: 443, forwarding: .route)])
        unknown.quorum = 1
        do {
            _ = try director.reload([Self.spec([Self.real(2, weight: 4), Self.real(3)]), unknown])
            Issue.record("expected a kernel error")
        } catch {
            #expect(error.description.contains("new-service TCP 10.9.0.5:443"))
        }
        #expect(try ns.ipvsadm("-Sn") == saved, "nothing half-applied")
        #expect(director.desiredTable().count == 1)
    }
}
