import ProgramRunner
import CVRRPShim
import VRRP
#if canImport(Glibc)
import Glibc
#endif

/// A VRRP packet as it arrived, with the interface it arrived on. ``packet`` is what the core's
/// `ReceiveValidator` takes.
public struct VRRPReceived: Hashable, Sendable {
    /// The packet: for IPv4 the whole datagram (TTL and destination come from its header); for IPv6 the VRRP
    /// message with the source, the destination (`IPV6_PKTINFO`) and the hop limit (`IPV6_HOPLIMIT`).
    public var packet: ReceivedPacket
    /// The index of the interface it arrived on (`IP_PKTINFO` / `IPV6_PKTINFO`; 0 if the kernel did not say).
    public var interfaceIndex: Int32
}

/// The VRRP sockets of one interface and family: a raw socket (protocol 112) that receives, on a thread of its
/// own, and one that sends keepalived's bytes.
///
/// * IPv4 receive: `IP_MULTICAST_ALL` 0, `IP_ADD_MEMBERSHIP` of the group on the interface's index, `bind` to
///   the group (multicast) or to the local address (unicast) so the other kind stops arriving, `SO_BINDTODEVICE`,
///   `IP_PKTINFO`. IPv4 send: `IP_HDRINCL` (the datagram is `OutgoingPacket.bytes`, keepalived's header
///   included), `SO_BINDTODEVICE`, `IP_MULTICAST_IF`, `IP_MULTICAST_LOOP` 0, and a filter that drops all input.
/// * IPv6 receive: `IPV6_CHECKSUM` 6 (the kernel verifies), `IPV6_RECVHOPLIMIT`, `IPV6_RECVPKTINFO`,
///   `IPV6_MULTICAST_ALL` 0, `IPV6_ADD_MEMBERSHIP` ff02::12, `SO_BINDTODEVICE`. IPv6 send: `IPV6_CHECKSUM` 6 (the
///   kernel fills it in), hop limits 255, `IPV6_TCLASS` 0xc0, `IPV6_MULTICAST_IF`, loop off, bound to the
///   source (the interface's link-local address).
///
/// ```swift
/// let socket = try VRRPSocket(family: .ipv4, interface: eth0)
/// try socket.send(packet)                       // from VRRPInstance.packets(for:identification:)
/// for await received in socket.packets {
///     let verdict = ReceiveValidator.validate(received.packet, expecting: expectations)
/// }
/// ```
public final class VRRPSocket: Sendable {
    /// Multicast (the group to join and bind to) or unicast (the local address to bind to).
    public enum Mode: Hashable, Sendable {
        /// Receive adverts sent to `group` (224.0.0.18 or ff02::12, or `vrrp_mcast_group4/6`).
        case multicast(group: VRRPAddress)
        /// Receive adverts sent to `local` (`unicast_src_ip`, or the primary address).
        case unicast(local: VRRPAddress)
    }

    /// The family.
    public let family: AddressFamily
    /// The interface.
    public let interface: NetworkInterface
    /// What arrives, in order. The receiving thread runs until ``stop()``, or until this stream's consumer goes.
    public let packets: AsyncStream<VRRPReceived>
    private let sendFD: Int32
    private let wake: WakeSignal
    /// The receive socket when the caller polls it (``receiveDescriptor``), -1 with a receive thread of its own.
    private let polledFD: Int32

    /// Opens both sockets in `networkNamespace` (`nil`: the calling thread's) and starts receiving.
    /// - Parameters:
    ///   - mode: default multicast to the family's VRRP group.
    ///   - source: IPv6: the address to send from (the interface's link-local); IPv4 ignores it (the header
    ///     carries the source).
    ///   - receiveThread: true: a thread of its own receives into ``packets``; false: nothing is started and the
    ///     caller polls ``receiveDescriptor`` and reads with ``drain(_:)`` (an event loop that handles the packets
    ///     on its own thread, saving a thread switch per packet); ``packets`` then stays empty.
    public init(family: AddressFamily, interface: NetworkInterface, mode: Mode? = nil, source: VRRPAddress? = nil,
                networkNamespace: String? = nil, receiveThread: Bool = true) throws(NetworkError) {
        let mode = mode ?? .multicast(group: family == .ipv4 ? .multicastGroupV4 : .multicastGroupV6)
        let (receiveFD, sendFD) = try inNetworkNamespace(networkNamespace) { () throws(NetworkError) -> (Int32, Int32) in
            let r = try Self.openReceiver(family: family, interface: interface, mode: mode)
            do throws(NetworkError) {
                return (r, try Self.openSender(family: family, interface: interface, source: source))
            } catch {
                close(r)
                throw error
            }
        }
        let wake: WakeSignal
        do { wake = try WakeSignal(for: "the VRRP receiver on \(interface)") } catch {
            close(receiveFD)
            close(sendFD)
            throw error
        }
        self.family = family
        self.interface = interface
        self.sendFD = sendFD
        self.wake = wake
        let (stream, continuation) = AsyncStream.makeStream(of: VRRPReceived.self, bufferingPolicy: .bufferingNewest(4096))
        packets = stream
        guard receiveThread else {
            polledFD = receiveFD
            continuation.finish()
            return
        }
        polledFD = -1
        continuation.onTermination = { _ in wake.signal() }
        let created = startDetachedThread {
            Self.receive(fd: receiveFD, family: family, wake: wake, continuation: continuation)
            close(receiveFD)
        }
        guard created == 0 else {
            close(receiveFD)
            close(sendFD)
            throw NetworkError("start the VRRP receiver thread on \(interface)", .errno(created))
        }
    }

    deinit {
        wake.signal()
        close(sendFD)
        if polledFD >= 0 { close(polledFD) }
    }

    /// The receive socket to poll for readability, when made with `receiveThread: false` (-1 otherwise).
    public var receiveDescriptor: Int32 { polledFD }

    /// Reads every packet waiting on the receive socket without blocking, giving each to `body`, in order
    /// (`receiveThread: false` only). `buffer` is the caller's scratch space (kept between calls: allocating and
    /// clearing 64 KiB per wake-up costs more than the packet); it grows to 64 KiB if smaller.
    public func drain(buffer: inout [UInt8], _ body: (VRRPReceived) -> Void) {
        guard polledFD >= 0 else { return }
        if buffer.count < 65536 { buffer = [UInt8](repeating: 0, count: 65536) }
        Self.drain(fd: polledFD, family: family, buffer: &buffer) { body($0); return true }
    }

    /// Stops receiving: the stream ends and the receive socket closes. Sending still works.
    public func stop() { wake.signal() }

    /// Sends one packet: an IPv4 datagram with keepalived's header, or an IPv6 VRRP message (the kernel adds the
    /// header and fills in the checksum).
    /// - Throws: naming the destination and the interface.
    public func send(_ packet: OutgoingPacket) throws(NetworkError) {
        try send(packet.bytes, to: packet.destination)
    }

    /// Sends `bytes` to `destination`: for IPv4 a whole datagram, IP header included (`IP_HDRINCL`); for IPv6 a
    /// VRRP message.
    /// - Throws: naming the destination and the interface.
    public func send(_ bytes: [UInt8], to destination: VRRPAddress) throws(NetworkError) {
        // The error's text is built only for an error: this runs for every advert.
        func what() -> String { "send a VRRP packet to \(destination) on \(interface)" }
        let n: Int
        switch (family, destination) {
        case (.ipv4, .v4(let address)):
            // Network order in memory, without building an array per packet.
            var dst = address.bigEndian
            n = bytes.withUnsafeBytes { b in
                withUnsafeBytes(of: &dst) { d in
                    cvrrp_ipv4_sendto(sendFD, b.baseAddress, b.count, d.baseAddress?.assumingMemoryBound(to: UInt8.self))
                }
            }
        case (.ipv6, .v6(let dst)):
            n = bytes.withUnsafeBytes { b in
                dst.withUnsafeBufferPointer { d in
                    cvrrp_ipv6_sendto(sendFD, b.baseAddress, b.count, d.baseAddress, interface.index)
                }
            }
        default:
            throw NetworkError(what(), .invalid("not an \(family) address"))
        }
        guard n >= 0 else { throw NetworkError(what(), .errno(Int32(-n))) }
    }

    // MARK: - Opening

    private static func openReceiver(family: AddressFamily, interface: NetworkInterface, mode: Mode) throws(NetworkError) -> Int32 {
        let what = "open the VRRP receive socket on \(interface)"
        let fd = cvrrp_socket(family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_RAW.rawValue), Int32(IPProtocolVRRP))
        guard fd >= 0 else { throw NetworkError(what, .errno(-fd)) }
        func check(_ r: Int32, _ step: String) throws(NetworkError) {
            guard r == 0 else {
                close(fd)
                throw NetworkError("\(what): \(step)", .errno(-r))
            }
        }
        switch family {
        case .ipv4:
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IP), cvrrp_ip_multicast_all(), 0), "IP_MULTICAST_ALL")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IP), Int32(IP_PKTINFO), 1), "IP_PKTINFO")
            switch mode {
            case .multicast(let group):
                let g = group.bytes
                try check(g.withUnsafeBufferPointer { cvrrp_ipv4_join(fd, $0.baseAddress, interface.index) },
                          "join \(group)")
                try check(g.withUnsafeBufferPointer { cvrrp_ipv4_bind(fd, $0.baseAddress) }, "bind to \(group)")
            case .unicast(let local):
                try check(local.bytes.withUnsafeBufferPointer { cvrrp_ipv4_bind(fd, $0.baseAddress) }, "bind to \(local)")
            }
        case .ipv6:
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_CHECKSUM), 6), "IPV6_CHECKSUM")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_RECVHOPLIMIT), 1), "IPV6_RECVHOPLIMIT")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_RECVPKTINFO), 1), "IPV6_RECVPKTINFO")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), cvrrp_ipv6_multicast_all(), 0), "IPV6_MULTICAST_ALL")
            switch mode {
            case .multicast(let group):
                try check(group.bytes.withUnsafeBufferPointer { cvrrp_ipv6_join(fd, $0.baseAddress, interface.index) },
                          "join \(group)")
            case .unicast(let local):
                try check(local.bytes.withUnsafeBufferPointer {
                    cvrrp_ipv6_bind(fd, $0.baseAddress, local.isLinkLocal ? interface.index : 0)
                }, "bind to \(local)")
            }
        }
        try check(cvrrp_bind_device(fd, interface.name), "SO_BINDTODEVICE")
        // Adverts of many instances arrive together (their timers run in step): a default-sized buffer (about 200
        // packets) overflows when the reader is late for a moment, losing adverts and electing a second master, so
        // receive into 4 MiB, as keepalived sizes its buffers to its instances (vrrp_rx_bufs_policy). SO_RCVBUFFORCE
        // passes rmem_max as root; without the privilege the default stays.
        if cvrrp_setsockopt_int(fd, Int32(SOL_SOCKET), Int32(SO_RCVBUFFORCE), 4 << 20) != 0 {
            _ = cvrrp_setsockopt_int(fd, Int32(SOL_SOCKET), Int32(SO_RCVBUF), 4 << 20)
        }
        return fd
    }

    private static func openSender(family: AddressFamily, interface: NetworkInterface, source: VRRPAddress?) throws(NetworkError) -> Int32 {
        let what = "open the VRRP send socket on \(interface)"
        let fd = cvrrp_socket(family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_RAW.rawValue), Int32(IPProtocolVRRP))
        guard fd >= 0 else { throw NetworkError(what, .errno(-fd)) }
        func check(_ r: Int32, _ step: String) throws(NetworkError) {
            guard r == 0 else {
                close(fd)
                throw NetworkError("\(what): \(step)", .errno(-r))
            }
        }
        try check(cvrrp_drop_all_input(fd), "drop-all input filter")
        switch family {
        case .ipv4:
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IP), Int32(IP_HDRINCL), 1), "IP_HDRINCL")
            try check(cvrrp_ipv4_multicast_if(fd, interface.index), "IP_MULTICAST_IF")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IP), Int32(IP_MULTICAST_LOOP), 0), "IP_MULTICAST_LOOP")
        case .ipv6:
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_CHECKSUM), 6), "IPV6_CHECKSUM")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_MULTICAST_IF), interface.index),
                      "IPV6_MULTICAST_IF")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_MULTICAST_HOPS), 255), "IPV6_MULTICAST_HOPS")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_UNICAST_HOPS), 255), "IPV6_UNICAST_HOPS")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_MULTICAST_LOOP), 0), "IPV6_MULTICAST_LOOP")
            try check(cvrrp_setsockopt_int(fd, Int32(IPPROTO_IPV6), Int32(IPV6_TCLASS), 0xc0), "IPV6_TCLASS")
            if let source {
                try check(source.bytes.withUnsafeBufferPointer {
                    cvrrp_ipv6_bind(fd, $0.baseAddress, source.isLinkLocal ? interface.index : 0)
                }, "bind to \(source)")
            }
        }
        try check(cvrrp_bind_device(fd, interface.name), "SO_BINDTODEVICE")
        return fd
    }

    // MARK: - Receiving

    private static func receive(fd: Int32, family: AddressFamily, wake: WakeSignal,
                                continuation: AsyncStream<VRRPReceived>.Continuation) {
        defer { continuation.finish() }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while cvrrp_wait(fd, wake.fd) == 1 {
            var going = true
            drain(fd: fd, family: family, buffer: &buffer) { received in
                if case .terminated = continuation.yield(received) { going = false }
                return going
            }
            if !going { return }
        }
    }

    /// Reads until EAGAIN (or `body` says stop), decoding each packet's ancillary data.
    private static func drain(fd: Int32, family: AddressFamily, buffer: inout [UInt8], _ body: (VRRPReceived) -> Bool) {
        // IPv6's ancillary addresses (no allocation for IPv4), and one packet array reused for every packet of this
        // drain: `body` lets go of its packet before the next read, so the copy below allocates nothing.
        let addressBytes = family == .ipv6 ? 16 : 0
        var src = [UInt8](repeating: 0, count: addressBytes), dst = [UInt8](repeating: 0, count: addressBytes)
        var bytes: [UInt8] = []
        while true {
            var ifindex: Int32 = 0, hasDst: Int32 = 0, hopLimit: Int32 = -1
            let n: Int = buffer.withUnsafeMutableBytes { b in
                switch family {
                case .ipv4:
                    return cvrrp_ipv4_recv(fd, b.baseAddress, b.count, &ifindex)
                case .ipv6:
                    return src.withUnsafeMutableBufferPointer { s in
                        dst.withUnsafeMutableBufferPointer { d in
                            cvrrp_ipv6_recv(fd, b.baseAddress, b.count, s.baseAddress, d.baseAddress,
                                            &hasDst, &hopLimit, &ifindex)
                        }
                    }
                }
            }
            guard n >= 0 else { break }   // EAGAIN: drained
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: buffer[0..<n])
            let packet: ReceivedPacket
            switch family {
            case .ipv4:
                packet = .ipv4(bytes)
            case .ipv6:
                guard let source = VRRPAddress(bytes: src) else { continue }
                packet = .ipv6(bytes, source: source, destination: hasDst != 0 ? VRRPAddress(bytes: dst) : nil,
                               hopLimit: hopLimit >= 0 ? Int(hopLimit) : nil)
            }
            if !body(VRRPReceived(packet: packet, interfaceIndex: ifindex)) { return }
        }
    }
}
