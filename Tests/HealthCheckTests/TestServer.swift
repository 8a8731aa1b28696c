import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

@testable import HealthCheck

/// How a loopback test server answers once it has read a request header (or, for `.silent`, never).
enum ServerBehavior: Sendable {
    /// Write these bytes, then close.
    case respond(String)
    /// Write these raw bytes, then close.
    case respondBytes([UInt8])
    /// Accept and never answer.
    case silent
    /// Write the header, then body chunks every millisecond until the client goes away (at most 20 s).
    case streamForever(header: String)
    /// Write these bytes and keep the connection open.
    case respondAndHold(String)
}

/// A loopback NIO server for probe tests; records the requests and SNI names it sees.
final class TestServer: Sendable {
    let channel: any Channel
    let port: Int
    let requests = Mutex<[String]>([])
    let serverNames = Mutex<[String?]>([])

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    let host: String

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
        self.port = channel.localAddress?.port ?? 0
    }

    static func start(
        _ behavior: ServerBehavior,
        tls: TLSIdentity? = nil,
        requireClientCertificate trusted: NIOSSLCertificate? = nil,
        host: String = "127.0.0.1"
    ) async throws -> TestServer {
        let box = Mutex<TestServer?>(nil)
        let sslContext: NIOSSLContext?
        if let tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(tls.certificate)],
                privateKey: .privateKey(tls.key)
            )
            if let trusted {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates([trusted])
            }
            configuration.sslContextCallback = { values, promise in
                box.withLock { $0?.serverNames.withLock { $0.append(values.serverHostname) } }
                promise.succeed(.noChanges)
            }
            sslContext = try NIOSSLContext(configuration: configuration)
        } else {
            sslContext = nil
        }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ServerHandler(behavior: behavior) { request in
                            box.withLock { $0?.requests.withLock { $0.append(request) } }
                        }
                    )
                }
            }
            .bind(host: host, port: 0).get()
        let server = TestServer(channel: channel, host: host)
        box.withLock { $0 = server }
        return server
    }

    var target: CheckTarget { CheckTarget(host: host, port: port) }

    func stop() async {
        try? await channel.close()
    }
}

private final class ServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let behavior: ServerBehavior
    let record: @Sendable (String) -> Void
    var received: [UInt8] = []
    var answered = false

    init(behavior: ServerBehavior, record: @escaping @Sendable (String) -> Void) {
        self.behavior = behavior
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += Array(unwrapInboundIn(data).readableBytesView)
        guard !answered, let end = HTTPResponseParser.headerEnd(in: received, from: 0) else { return }
        answered = true
        record(String(decoding: received[..<(end + 4)], as: UTF8.self))
        switch behavior {
        case .silent:
            break
        case .respond(let text):
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: text))).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .respondBytes(let bytes):
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: bytes))).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .respondAndHold(let text):
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
        case .streamForever(let header):
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: header)), promise: nil)
            let channel = context.channel
            let chunk = channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: 16 * 1024)
            let stopAt = NIODeadline.now() + .seconds(20)
            channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { task in
                guard channel.isActive, NIODeadline.now() < stopAt else {
                    task.cancel()
                    channel.close(promise: nil)
                    return
                }
                channel.writeAndFlush(chunk, promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A throw-away self-signed certificate made with the openssl command line.
struct TLSIdentity: Sendable {
    let certificate: NIOSSLCertificate
    let key: NIOSSLPrivateKey
    let certificatePath: String

    static let shared: Result<TLSIdentity, any Error> = Result { try make() }
    /// A second identity, for client certificates.
    static let client: Result<TLSIdentity, any Error> = Result { try make() }

    var keyPath: String { certificatePath.replacingOccurrences(of: "cert.pem", with: "key.pem") }

    /// Writes the key encrypted with `password` and returns its path.
    func encryptedKey(password: String) throws -> String {
        let path = certificatePath.replacingOccurrences(of: "cert.pem", with: "key-encrypted.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExternalServer.tool("openssl") ?? "/usr/bin/openssl")
        process.arguments = ["pkey", "-in", keyPath, "-aes256", "-passout", "pass:\(password)", "-out", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return path
    }

    static func make() throws -> TLSIdentity {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hc-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExternalServer.tool("openssl") ?? "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=www.example.test",
            "-addext", "subjectAltName=DNS:www.example.test",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return TLSIdentity(
            certificate: try NIOSSLCertificate(
                bytes: Array(try Data(contentsOf: URL(fileURLWithPath: cert))),
                format: .pem
            ),
            key: try NIOSSLPrivateKey(file: key, format: .pem),
            certificatePath: cert
        )
    }
}

/// Runs one probe on the shared test event loop.
func runProbe(
    _ probe: CheckProbe,
    urlIndex: Int = 0,
    defaultTimeout: Duration = .seconds(5),
    prober: NIOCheckProber = sharedProber
) async throws -> ProbeResult {
    try await prober.probe(probe, urlIndex: urlIndex, defaultTimeout: defaultTimeout, on: TestServer.group.next()).get()
}

let sharedProber = NIOCheckProber()

/// A port on 127.0.0.1 with nothing listening: a socket bound but not listening holds it, so no other test
/// server can take it while the test runs. Close the returned descriptor when done.
func closedPort() throws -> (port: Int, descriptor: Int32) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard fd >= 0, bound else { throw CocoaError(.fileReadUnknown) }
    return (Int(UInt16(bigEndian: address.sin_port)), fd)
}
