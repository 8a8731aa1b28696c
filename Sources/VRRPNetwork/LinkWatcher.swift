import ProgramRunner
import CLibNLRoute
import CVRRPShim
import Synchronization
import VRRP
#if canImport(Glibc)
import Glibc
#endif

/// A change the kernel announced on RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR or RTNLGRP_IPV6_IFADDR.
public enum NetlinkEvent: Hashable, Sendable {
    /// An interface appeared or changed (`RTM_NEWLINK`: flags such as up/running changed).
    case linkChanged(NetworkInterface)
    /// An interface went away (`RTM_DELLINK`).
    case linkRemoved(NetworkInterface)
    /// An address was added (`RTM_NEWADDR`); ``InterfaceAddress/interfaceIndex`` says where.
    case addressAdded(InterfaceAddress)
    /// An address was deleted (`RTM_DELADDR`), by hand (`ip addr del`) or by the kernel (link removed).
    case addressRemoved(InterfaceAddress)
    /// The socket's buffer overflowed (ENOBUFS): events were lost, so re-read the state (addresses, links).
    case eventsLost
}

/// Decodes rtnetlink notifications (a buffer of netlink messages, host byte order) into events. Pure.
public enum NetlinkEventDecoder {
    static let rtmNewLink: UInt16 = 16
    static let rtmDelLink: UInt16 = 17
    static let rtmNewAddr: UInt16 = 20
    static let rtmDelAddr: UInt16 = 21

    /// The events in one datagram; messages of other types, and malformed ones, are skipped.
    public static func decode(_ datagram: [UInt8]) -> [NetlinkEvent] {
        var out: [NetlinkEvent] = []
        var offset = 0
        while offset + 16 <= datagram.count {
            let length = Int(u32(datagram, offset))
            let type = u16(datagram, offset + 4)
            guard length >= 16, offset + length <= datagram.count else { break }
            let body = Array(datagram[(offset + 16)..<(offset + length)])
            switch type {
            case rtmNewLink, rtmDelLink:
                if let link = decodeLink(body) { out.append(type == rtmNewLink ? .linkChanged(link) : .linkRemoved(link)) }
            case rtmNewAddr, rtmDelAddr:
                if let a = decodeAddress(body) { out.append(type == rtmNewAddr ? .addressAdded(a) : .addressRemoved(a)) }
            default:
                break
            }
            offset += (length + 3) & ~3
        }
        return out
    }

    /// `ifinfomsg` (16 bytes: family, pad, type u16, index i32, flags u32, change u32), then IFLA_ADDRESS (1)
    /// and IFLA_IFNAME (3).
    static func decodeLink(_ body: [UInt8]) -> NetworkInterface? {
        guard body.count >= 16 else { return nil }
        let index = Int32(bitPattern: u32(body, 4))
        let flags = u32(body, 8)
        var name = "", mac: MACAddress?
        for (type, value) in attributes(body, from: 16) {
            switch type {
            case 1: mac = MACAddress(bytes: value)
            case 3: name = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            default: break
            }
        }
        return NetworkInterface(name: name, index: index, flags: flags, mac: mac)
    }

    /// `ifaddrmsg` (8 bytes: family, prefixlen, flags, scope, index u32), then IFA_ADDRESS (1), IFA_LOCAL (2),
    /// IFA_LABEL (3), IFA_BROADCAST (4), IFA_CACHEINFO (6), IFA_FLAGS (8).
    static func decodeAddress(_ body: [UInt8]) -> InterfaceAddress? {
        guard body.count >= 8 else { return nil }
        var local: VRRPAddress?, address: VRRPAddress?, broadcast: VRRPAddress?, label: String?
        var flags = UInt32(body[2]), preferred: UInt32?
        for (type, value) in attributes(body, from: 8) {
            switch type {
            case 1: address = VRRPAddress(bytes: value)
            case 2: local = VRRPAddress(bytes: value)
            case 3: label = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case 4: broadcast = VRRPAddress(bytes: value)
            case 6 where value.count >= 4:
                let p = u32(value, 0)
                preferred = p == UInt32.max ? nil : p
            case 8 where value.count >= 4: flags = u32(value, 0)
            default: break
            }
        }
        guard let a = local ?? address else { return nil }
        var result = InterfaceAddress(a, prefixLength: body[1], broadcast: broadcast, label: label,
                                      scope: AddressScope(rawValue: body[3]))
        result.flags = flags
        result.preferredLifetime = preferred
        result.interfaceIndex = Int32(bitPattern: u32(body, 4))
        return result
    }

    /// The rtattrs from `start`: (type without the nested/byte-order bits, value).
    static func attributes(_ body: [UInt8], from start: Int) -> [(UInt16, [UInt8])] {
        var out: [(UInt16, [UInt8])] = []
        var offset = start
        while offset + 4 <= body.count {
            let length = Int(u16(body, offset))
            let type = u16(body, offset + 2) & 0x3fff
            guard length >= 4, offset + length <= body.count else { break }
            out.append((type, Array(body[(offset + 4)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return out
    }

    private static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}

/// Watches links and addresses (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR) on a thread of its own
/// and delivers them as an `AsyncStream`: how the VRRP service notices a VIP deleted by hand (and restores it) and
/// an interface going down (`track_interface`).
///
/// ```swift
/// let watcher = try LinkWatcher()
/// for await event in watcher.events {
///     if case .addressRemoved(let a) = event, ourVIPs.contains(a.address) { /* re-add it */ }
/// }
/// ```
///
/// The subscription exists from `init` on: a change made after `init` returns is delivered. The thread ends, and
/// the socket closes, when the stream's consumer goes away or ``stop()`` is called.
public final class LinkWatcher: Sendable {
    /// The events, in the kernel's order.
    public let events: AsyncStream<NetlinkEvent>
    private let wake: WakeSignal

    /// Subscribes in `networkNamespace` (an `ip netns` name or path; `nil`: the calling thread's) and starts the
    /// watching thread.
    public init(networkNamespace: String? = nil) throws(NetworkError) {
        let s = try inNetworkNamespace(networkNamespace) { () throws(NetworkError) -> LibNLSocket in
            guard let s = nl_socket_alloc() else { throw NetworkError("allocate a netlink socket", .netlink(NLE_NOMEM)) }
            nl_socket_disable_seq_check(s)
            var r = nl_connect(s, NETLINK_ROUTE)
            for group in [cvrrp_rtnlgrp_link(), cvrrp_rtnlgrp_ipv4_ifaddr(), cvrrp_rtnlgrp_ipv6_ifaddr()] where r == 0 {
                r = nl_socket_add_membership(s, group)
            }
            if r == 0 { r = nl_socket_set_buffer_size(s, 1 << 20, 0) }
            guard r == 0 else {
                nl_socket_free(s)
                throw NetworkError("subscribe to link and address changes", .netlink(-r))
            }
            return LibNLSocket(pointer: s)
        }
        let wake: WakeSignal
        do { wake = try WakeSignal(for: "the link watcher") } catch { s.free(); throw error }
        self.wake = wake
        let (stream, continuation) = AsyncStream.makeStream(of: NetlinkEvent.self, bufferingPolicy: .unbounded)
        events = stream
        continuation.onTermination = { _ in wake.signal() }
        let created = startDetachedThread {
            Self.loop(fd: nl_socket_get_fd(s.pointer), wake: wake, continuation: continuation)
            s.free()
        }
        guard created == 0 else {
            s.free()
            throw NetworkError("start the link watcher thread", .errno(created))
        }
    }

    deinit { wake.signal() }

    /// Ends the stream and the thread.
    public func stop() { wake.signal() }

    private static func loop(fd: Int32, wake: WakeSignal, continuation: AsyncStream<NetlinkEvent>.Continuation) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        defer { continuation.finish() }
        while cvrrp_wait(fd, wake.fd) == 1 {
            while true {
                let n = buffer.withUnsafeMutableBytes { cvrrp_recv(fd, $0.baseAddress, $0.count) }
                if n == -Int(ENOBUFS) {
                    continuation.yield(.eventsLost)
                    continue
                }
                guard n > 0 else { break }
                for event in NetlinkEventDecoder.decode(Array(buffer[0..<n])) {
                    if case .terminated = continuation.yield(event) { return }
                }
            }
        }
    }
}

/// A libnl socket handed to the thread that owns it.
struct LibNLSocket: @unchecked Sendable {
    let pointer: OpaquePointer
    func free() {
        nl_close(pointer)
        nl_socket_free(pointer)
    }
}

/// An eventfd that wakes a waiting thread; closed when the last holder (the object or its thread) lets go, so a
/// late ``signal()`` never writes to a closed or reused descriptor.
final class WakeSignal: Sendable {
    let fd: Int32
    init(for what: String) throws(NetworkError) {
        let fd = cvrrp_eventfd()
        guard fd >= 0 else { throw NetworkError("create an eventfd for \(what)", .errno(-fd)) }
        self.fd = fd
    }
    func signal() { cvrrp_eventfd_signal(fd) }
    deinit { close(fd) }
}
