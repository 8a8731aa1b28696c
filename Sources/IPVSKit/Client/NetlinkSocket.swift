import CIPVSShim
import CLibNL
#if canImport(Glibc)
import Glibc
#endif

/// The transport behind ``IPVSClient``: one libnl generic-netlink socket, the resolved IPVS family, and a reusable
/// receive buffer. Not thread-safe; ``IPVSClient`` serialises access.
final class NetlinkSocket {
    private let sock: OpaquePointer
    let fd: Int32
    let familyID: UInt16
    let port: UInt32
    /// Messages per `send` in a batch; bounded by what the receive buffer can hold in ACKs.
    let window: Int
    private var sequence: UInt32
    private var buffer: [UInt8]

    /// Opens a socket in the caller's network namespace, or in `namespacePath` (a file such as
    /// `/var/run/netns/NAME` or `/proc/PID/ns/net`).
    init(namespacePath: String?) throws(IPVSError) {
        let s: OpaquePointer
        if let namespacePath {
            s = try NetworkNamespace.during(namespacePath) { () throws(IPVSError) -> OpaquePointer in try NetlinkSocket.connect() }
        } else {
            s = try NetlinkSocket.connect()
        }
        sock = s
        fd = nl_socket_get_fd(s)
        port = nl_socket_get_local_port(s)
        // Large buffers: dumps of big tables and thousands of pipelined ACKs. FORCE needs CAP_NET_ADMIN, which every
        // IPVS command needs anyway; fall back to the unprivileged limit.
        let want: Int32 = 8 << 20
        if cipvs_setsockopt_int(fd, SOL_SOCKET, cipvs_so_rcvbufforce(), want) != 0 {
            _ = cipvs_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, want)
        }
        if cipvs_setsockopt_int(fd, SOL_SOCKET, cipvs_so_sndbufforce(), want) != 0 {
            _ = cipvs_setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, want)
        }
        // ACKs without the echoed request, so pipelined ACKs stay small.
        _ = cipvs_setsockopt_int(fd, cipvs_sol_netlink(), cipvs_netlink_cap_ack(), 1)
        var rcv: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len)
        // An ACK costs about 1.3 KiB of receive-buffer truesize; keep a batch window within half the buffer.
        window = max(16, min(1024, Int(rcv) / 2 / 1400))
        var seed = timespec()
        clock_gettime(CLOCK_MONOTONIC, &seed)
        sequence = UInt32(truncatingIfNeeded: seed.tv_nsec) | 1
        buffer = [UInt8](unsafeUninitializedCapacity: 1 << 20) { _, count in count = 1 << 20 }

        var resolved = genl_ctrl_resolve(s, "IPVS")
        if resolved < 0 {
            // The first lookup after the module loads can fail (keepalived retries once too).
            usleep(100_000)
            resolved = genl_ctrl_resolve(s, "IPVS")
        }
        guard resolved > 0 else {
            nl_socket_free(s)
            let reason = resolved < 0 ? String(cString: nl_geterror(resolved)) : "family id 0"
            throw .unavailable(detail: "generic netlink family \"IPVS\" not found: \(reason)")
        }
        familyID = UInt16(resolved)
    }

    deinit { nl_socket_free(sock) }

    private static func connect() throws(IPVSError) -> OpaquePointer {
        guard let s = nl_socket_alloc() else { throw .system(what: "nl_socket_alloc", errno: ENOMEM) }
        let r = genl_connect(s)
        guard r == 0 else {
            nl_socket_free(s)
            throw .system(what: "genl_connect", errno: Int32(NetlinkSocket.errnoFromNLE(r)))
        }
        return s
    }

    /// libnl's NLE codes for the failures that `genl_connect` can report.
    private static func errnoFromNLE(_ r: Int32) -> Int32 {
        switch -r {
        case 10: EPERM        // NLE_PERM
        case 5: ENOMEM        // NLE_NOMEM
        case 22: EPROTONOSUPPORT
        default: EIO
        }
    }

    func nextSequence() -> UInt32 {
        sequence &+= 1
        if sequence == 0 { sequence = 1 }
        return sequence
    }

    func send(_ bytes: [UInt8], command: IPVSCommand) throws(IPVSError) {
        let r = bytes.withUnsafeBytes { cipvs_send(fd, $0.baseAddress, $0.count) }
        if r < 0 { throw .system(what: "send \(command)", errno: Int32(-r)) }
        if r != bytes.count { throw .system(what: "send \(command) (short write)", errno: EIO) }
    }

    /// Receives one datagram, waiting at most `timeoutMs`; `nil` on timeout. Retries on EINTR.
    /// Throws ``IPVSError/system(what:errno:)`` with ENOBUFS when the kernel dropped messages.
    func receive(timeoutMs: Int32, command: IPVSCommand) throws(IPVSError) -> [NetlinkMessage]? {
        while true {
            let ready = cipvs_wait_readable(fd, timeoutMs)
            if ready == -EINTR { continue }
            if ready < 0 { throw .system(what: "poll", errno: -ready) }
            if ready == 0 { return nil }
            let n = buffer.withUnsafeMutableBytes { cipvs_recv(fd, $0.baseAddress, $0.count, cipvs_msg_dontwait()) }
            if n == -Int(EINTR) || n == -Int(EAGAIN) { continue }
            if n < 0 { throw .system(what: "recv \(command)", errno: Int32(-n)) }
            // The messages are slices of a copy of just what arrived: slices of `buffer` itself would keep it
            // shared, and the next receive would then copy the whole megabyte before writing into it.
            return try NetlinkMessage.split(Array(buffer[0..<n])[...])
        }
    }

    /// Receives every datagram already queued, up to 256, with one `recvmmsg(2)`, waiting at most `timeoutMs` for
    /// the first; `nil` on timeout. For the ACKs of a pipelined batch: each ACK is its own datagram, and one
    /// `recv(2)` (and `poll(2)`) per ACK was most of a large batch's cost. Throws like ``receive(timeoutMs:command:)``.
    func receiveMany(timeoutMs: Int32, command: IPVSCommand) throws(IPVSError) -> [NetlinkMessage]? {
        let slot = 4096
        let slots = UInt32(min(Int(CIPVS_RECV_MANY_MAX), buffer.count / slot))
        var lengths = [UInt32](repeating: 0, count: Int(slots))
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                lengths.withUnsafeMutableBufferPointer { cipvs_recv_many(fd, raw.baseAddress, slot, slots, $0.baseAddress) }
            }
            if n == -EINTR { continue }
            if n == -EAGAIN {
                let ready = cipvs_wait_readable(fd, timeoutMs)
                if ready == -EINTR { continue }
                if ready < 0 { throw .system(what: "poll", errno: -ready) }
                if ready == 0 { return nil }
                continue
            }
            if n < 0 { throw .system(what: "recvmmsg \(command)", errno: -n) }
            var messages: [NetlinkMessage] = []
            messages.reserveCapacity(Int(n))
            for i in 0..<Int(n) {
                let length = Int(lengths[i] & 0x7FFF_FFFF)
                if lengths[i] & 0x8000_0000 != 0 {
                    throw .malformedReply("\(command): reply of \(length) bytes is larger than \(slot)")
                }
                messages += try NetlinkMessage.split(Array(buffer[(i * slot)..<(i * slot + length)])[...])
            }
            return messages
        }
    }

    /// Throws away anything queued (stale replies after a timeout or an aborted dump).
    func drain() {
        while true {
            let n = buffer.withUnsafeMutableBytes { cipvs_recv(fd, $0.baseAddress, $0.count, cipvs_msg_dontwait()) }
            if n <= 0, n != -Int(EINTR), n != -Int(ENOBUFS) { return }
        }
    }
}
