import Glibc
import Observability
import Synchronization
import Testing

/// Records the requests a server passed to its handler.
private final class Recorder: Sendable {
    private let requests = Mutex<[ControlRequest]>([])
    var all: [ControlRequest] { self.requests.withLock { $0 } }
    func add(_ request: ControlRequest) { self.requests.withLock { $0.append(request) } }
}

/// A control server in a private temporary directory, stopped and removed afterwards.
private func withControlServer(
    allowedUIDs: Set<UInt32>? = nil,
    requestTimeout: Duration = .seconds(5),
    replyTimeout: Duration = .seconds(5),
    handler: @escaping ControlServer.Handler = { request in .success("handled \(request.line)\n") },
    _ body: (ControlServer, String) async throws -> Void
) async throws {
    let directory = try TestSocket.temporaryDirectory()
    defer { TestSocket.removeDirectory(directory) }
    let path = directory + "/lvsd.sock"
    var configuration = ControlServer.Configuration(path: path, requestTimeout: requestTimeout, replyTimeout: replyTimeout)
    if let allowedUIDs { configuration.allowedUIDs = allowedUIDs }
    let server = ControlServer(configuration: configuration, handler: handler)
    try await server.start()
    do {
        try await body(server, path)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

@Suite(.timeLimit(.minutes(1))) struct ControlServerTests {
    @Test func answersStatusReloadAndHelpThroughTheClient() async throws {
        let recorder = Recorder()
        try await withControlServer(handler: { request in
            recorder.add(request)
            switch request {
            case .status(.json): return .success("{}\n")
            case .reload: return .failure("keepalived.conf:3: unknown keyword")
            default: return .success("text status\n")
            }
        }) { _, path in
            let text = try await ControlClient.send(.status(.text), path: path)
            #expect(text == ControlReply(status: .ok, body: "text status\n"))
            let json = try await ControlClient.send(.status(.json), path: path)
            #expect(json.body == "{}\n" && json.isSuccess)
            let reload = try await ControlClient.send(.reload, path: path)
            #expect(reload == ControlReply(status: .error, body: "keepalived.conf:3: unknown keyword\n"))
            let help = try await ControlClient.send(.help, path: path)
            #expect(help.isSuccess && help.body.contains("status json"))
        }
        // help is answered by the server itself.
        #expect(recorder.all == [.status(.text), .status(.json), .reload])
    }

    @Test func theSocketIsCreatedOwnerOnlyAndRemovedOnStop() async throws {
        var socketPath = ""
        try await withControlServer { _, path in
            socketPath = path
            var info = stat()
            #expect(lstat(path, &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
            #expect(info.st_mode & 0o777 == 0o600)
            #expect(info.st_uid == geteuid())
        }
        var info = stat()
        #expect(lstat(socketPath, &info) != 0)
    }

    @Test func garbageRequestsGetAnErrorReplyNamingTheProblem() async throws {
        let recorder = Recorder()
        try await withControlServer(handler: { request in recorder.add(request); return .success("x\n") }) { _, path in
            let unknown = try await TestSocket.exchange(unixPath: path, send: [Array("stats\n".utf8)])
            #expect(unknown.text == "error\nunknown command 'stats' (try 'help')\n")
            let empty = try await TestSocket.exchange(unixPath: path, send: [Array("\n".utf8)])
            #expect(empty.text == "error\nempty request (try 'help')\n")
            let arguments = try await TestSocket.exchange(unixPath: path, send: [Array("status yaml\n".utf8)])
            #expect(arguments.text.hasPrefix("error\n'status' does not take 'yaml'"))
            let binary = try await TestSocket.exchange(unixPath: path, send: [[0xff, 0xfe, 0x0a]])
            #expect(binary.text == "error\nrequest is not UTF-8 text\n")
            // No newline at all, and more than the limit: refused as soon as the limit passes.
            let long = try await TestSocket.exchange(unixPath: path, send: [Array(repeating: UInt8(ascii: "a"), count: 4096)])
            #expect(long.text == "error\nrequest longer than 256 bytes\n")
            #expect(long.closedByPeer)
            // A last line without newline, ended by half-closing, still counts.
            let unterminated = try await TestSocket.exchange(unixPath: path, send: [Array("status".utf8)], shutdownWrite: true)
            #expect(unterminated.text == "ok\nx\n")
        }
        #expect(recorder.all == [.status(.text)])
    }

    @Test func onlyOneRequestIsReadPerConnection() async throws {
        let recorder = Recorder()
        try await withControlServer(handler: { request in recorder.add(request); return .success("done\n") }) { _, path in
            let exchange = try await TestSocket.exchange(unixPath: path, send: [Array("reload\nreload\nstatus\n".utf8)])
            #expect(exchange.text == "ok\ndone\n")
            #expect(exchange.closedByPeer)
        }
        #expect(recorder.all == [.reload])
    }

    @Test func aPeerWhoseUIDIsNotAllowedIsDenied() async throws {
        let recorder = Recorder()
        let notUs: UInt32 = geteuid() == 4242 ? 4243 : 4242
        try await withControlServer(allowedUIDs: [notUs], handler: { request in recorder.add(request); return .success("x\n") }) { _, path in
            let reply = try await ControlClient.send(.status(.text), path: path)
            #expect(reply.status == .denied)
            #expect(reply.body.contains("permission denied: uid \(geteuid())"))
        }
        #expect(recorder.all.isEmpty)
    }

    @Test func aSlowClientIsCutOffAndASlowHandlerIsReportedAsATimeout() async throws {
        let slowHandler: ControlServer.Handler = { _ in
            try? await Task.sleep(for: .seconds(30))
            return .success("too late\n")
        }
        // Bounds are generous for a busy machine; the 30 s (sleep, read timeout) are what they rule out.
        try await withControlServer(requestTimeout: .milliseconds(300), handler: slowHandler) { _, path in
            let silent = try await TestSocket.exchange(unixPath: path, send: [], timeout: .seconds(40))
            #expect(silent.closedByPeer)
            #expect(silent.text.isEmpty)
            #expect(silent.elapsed < .seconds(20))
        }
        // The client's request must arrive within the request timeout, and a client task on a busy machine may
        // take a while to send it: only the reply timeout is short here.
        try await withControlServer(requestTimeout: .seconds(30), replyTimeout: .milliseconds(300), handler: slowHandler) { _, path in
            let start = ContinuousClock.now
            let reply = try await ControlClient.send(.status(.text), path: path)
            #expect(reply.status == .error)
            #expect(reply.body.contains("timed out"))
            #expect(ContinuousClock.now - start < .seconds(20))
        }
    }

    @Test func aStaleSocketIsReplacedButALiveOneOrAFileIsNot() async throws {
        let directory = try TestSocket.temporaryDirectory()
        defer { TestSocket.removeDirectory(directory) }
        let path = directory + "/lvsd.sock"

        // A socket file whose process is gone: bound, then closed without unlinking.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(rc == 0)
        close(fd)

        let first = ControlServer(configuration: .init(path: path)) { _ in .success("first\n") }
        try await first.start()
        #expect(try await ControlClient.send(.status(.text), path: path).body == "first\n")

        // A second daemon must not steal the socket of a live one.
        let second = ControlServer(configuration: .init(path: path)) { _ in .success("second\n") }
        do {
            try await second.start()
            Issue.record("a live control socket was replaced")
            await second.stop()
        } catch {
            #expect(error.kind == .alreadyInUse)
            #expect(error.description.contains(path))
        }
        #expect(try await ControlClient.send(.status(.text), path: path).body == "first\n")
        await first.stop()

        // A regular file is never removed.
        let file = directory + "/not-a-socket"
        let created = open(file, O_CREAT | O_WRONLY, 0o644)
        close(created)
        let third = ControlServer(configuration: .init(path: file)) { _ in .success("x\n") }
        await #expect(throws: ControlServerError(kind: .notASocket, path: file)) { try await third.start() }
        #expect(access(file, F_OK) == 0)
    }

    @Test func startingTwiceIsAnError() async throws {
        try await withControlServer { server, path in
            await #expect(throws: ControlServerError(kind: .alreadyStarted, path: path)) { try await server.start() }
        }
    }

    @Test func theClientNamesThePathWhenNoDaemonRuns() async throws {
        let directory = try TestSocket.temporaryDirectory()
        defer { TestSocket.removeDirectory(directory) }
        let missing = directory + "/lvsd.sock"
        do {
            _ = try await ControlClient.send(.status(.text), path: missing)
            Issue.record("connected to a missing socket")
        } catch {
            #expect(error.kind == .noDaemon)
            #expect(error.description == "cannot connect to \(missing): no lvsd is running (or it runs with another control socket path)")
        }
        // A stale socket file (nobody accepting) says the same.
        let server = ControlServer(configuration: .init(path: missing)) { _ in .success("x\n") }
        try await server.start()
        await server.stop()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(missing.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        await #expect(throws: ControlClientError(kind: .noDaemon, path: missing)) {
            _ = try await ControlClient.send(.status(.text), path: missing)
        }
        #expect(ControlClientError(kind: .permissionDenied, path: "/run/lvsd.sock").description.contains("/run/lvsd.sock: permission denied"))
    }
}
