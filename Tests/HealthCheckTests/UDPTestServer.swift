import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback UDP server on its own thread for the datagram prober's tests: for each datagram received, `answer`
/// returns the datagrams to send back (none: stay silent). Records what it received.
final class UDPTestServer: Sendable {
    let port: Int
    let received = Mutex<[[UInt8]]>([])
    private let fd: Int32
    private let stopped = Atomic<Bool>(false)

    init(answer: @escaping @Sendable ([UInt8]) -> [[UInt8]]) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.serve(answer) }
        thread.start()
    }

    private func serve(_ answer: @Sendable ([UInt8]) -> [[UInt8]]) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stopped.load(ordering: .relaxed) {
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &peerLength)
                    }
                }
            }
            guard count >= 0 else { continue }
            let datagram = Array(buffer[0..<count])
            received.withLock { $0.append(datagram) }
            for reply in answer(datagram) {
                _ = reply.withUnsafeBytes { bytes in
                    withUnsafePointer(to: &peer) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(fd, bytes.baseAddress, bytes.count, 0, $0, peerLength)
                        }
                    }
                }
            }
        }
        close(fd)
    }

    /// Stops the thread (within 100 ms) and closes the socket.
    func stop() { stopped.store(true, ordering: .relaxed) }

    /// A UDP port nothing listens on (bound, then closed): datagrams to it draw an ICMP port unreachable.
    static func closedPort() throws -> Int {
        let server = try UDPTestServer { _ in [] }
        server.stop()
        Thread.sleep(forTimeInterval: 0.2)
        return server.port
    }
}
