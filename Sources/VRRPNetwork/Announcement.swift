import CVRRPShim
import VRRP
#if canImport(Glibc)
import Glibc
#endif

/// The Ethernet frames keepalived sends to announce a VIP (reference §5). Pure.
public enum AnnouncementFrame {
    /// EtherType ARP.
    public static let etherTypeARP: UInt16 = 0x0806
    /// EtherType IPv6.
    public static let etherTypeIPv6: UInt16 = 0x86dd

    /// keepalived's gratuitous ARP (`vrrp_arp.c`): 42 bytes. Ethernet broadcast from `mac`, type 0x0806; ARP
    /// htype 1, ptype 0x0800, hlen 6, plen 4, op 1 (request), sha = `mac`, spa = tpa = `address`,
    /// tha = ff:ff:ff:ff:ff:ff.
    public static func gratuitousARP(from mac: MACAddress, for address: VRRPAddress) -> [UInt8] {
        precondition(address.family == .ipv4, "gratuitous ARP is for IPv4 addresses")
        var f = MACAddress.broadcast.bytes + mac.bytes + [0x08, 0x06]
        f += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]
        f += mac.bytes + address.bytes
        f += MACAddress.broadcast.bytes + address.bytes
        return f
    }

    /// ff02::1, all nodes.
    public static let allNodes = VRRPAddress.v6([0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [0x01])

    /// keepalived's unsolicited neighbour advertisement (`vrrp_ndisc.c`, RFC 4861 §7.2.6): 86 bytes. Ethernet to
    /// 33:33:00:00:00:01 from `mac`, type 0x86dd; IPv6 from `address` to ff02::1, hop limit 255, next header 58;
    /// ICMPv6 type 136 code 0, flags O (override) and R (router) when `router`, target `address`, option 2 (target
    /// link-layer address, length 1) with `mac`; the checksum over the IPv6 pseudo-header.
    public static func unsolicitedNA(from mac: MACAddress, for address: VRRPAddress, router: Bool) -> [UInt8] {
        precondition(address.family == .ipv6, "neighbour advertisements are for IPv6 addresses")
        var icmp: [UInt8] = [136, 0, 0, 0, (router ? 0x80 : 0) | 0x20, 0, 0, 0]
        icmp += address.bytes
        icmp += [2, 1] + mac.bytes
        var sum = InternetChecksum()
        sum.add(address.bytes)
        sum.add(allNodes.bytes)
        sum.add([0, 0, 0, UInt8(icmp.count), 0, 0, 0, 58])
        sum.add(icmp)
        let checksum = sum.value
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xff)
        var f = MACAddress.allNodes.bytes + mac.bytes + [0x86, 0xdd]
        f += [0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, 255]
        f += address.bytes + allNodes.bytes
        return f + icmp
    }
}

/// Sends gratuitous ARPs (IPv4 VIPs) and unsolicited neighbour advertisements (IPv6 VIPs) on a packet socket
/// (`AF_PACKET`, protocol 0 so that it receives nothing), as keepalived does on becoming MASTER. Interfaces with
/// `IFF_NOARP` are skipped.
///
/// ```swift
/// let announcer = try AddressAnnouncer()
/// try announcer.sendBurst(vips, on: eth0, count: 5)   // garp_master_repeat
/// ```
public final class AddressAnnouncer: Sendable {
    private let fd: Int32
    private let networkNamespace: String?

    /// Opens the packet socket in `networkNamespace` (`nil`: the calling thread's).
    public init(networkNamespace: String? = nil) throws(NetworkError) {
        self.networkNamespace = networkNamespace
        fd = try inNetworkNamespace(networkNamespace) { () throws(NetworkError) -> Int32 in
            let fd = cvrrp_packet_socket()
            guard fd >= 0 else { throw NetworkError("open a packet socket for gratuitous ARP and NA", .errno(-fd)) }
            return fd
        }
    }

    deinit { close(fd) }

    /// Sends one gratuitous ARP or unsolicited NA for `address` on `interface`.
    /// - Parameter router: IPv6: set the R flag (keepalived sets it when forwarding is on for the interface; see
    ///   ``isIPv6Forwarding(on:)``).
    /// - Returns: false when the interface has `IFF_NOARP` (nothing is sent).
    /// - Throws: naming the address and interface (no MAC address, or the send failed).
    @discardableResult
    public func announce(_ address: VRRPAddress, on interface: NetworkInterface, router: Bool = false) throws(NetworkError) -> Bool {
        let kind = address.family == .ipv4 ? "gratuitous ARP" : "unsolicited NA"
        let what = "send \(kind) for \(address) on \(interface)"
        if interface.isNoARP { return false }
        guard let mac = interface.mac, mac.bytes != [0, 0, 0, 0, 0, 0] else {
            throw NetworkError(what, .invalid("the interface has no Ethernet address"))
        }
        let frame: [UInt8], type: UInt16, dst: MACAddress
        switch address.family {
        case .ipv4:
            frame = AnnouncementFrame.gratuitousARP(from: mac, for: address)
            type = AnnouncementFrame.etherTypeARP
            dst = .broadcast
        case .ipv6:
            frame = AnnouncementFrame.unsolicitedNA(from: mac, for: address, router: router)
            type = AnnouncementFrame.etherTypeIPv6
            dst = .allNodes
        }
        let n = frame.withUnsafeBytes { f in
            dst.bytes.withUnsafeBufferPointer { d in
                cvrrp_packet_send(fd, f.baseAddress, f.count, interface.index, type, d.baseAddress)
            }
        }
        guard n >= 0 else { throw NetworkError(what, .errno(Int32(-n))) }
        return true
    }

    /// One burst: `count` rounds, each announcing every address in order (keepalived's `garp_master_repeat`),
    /// `spacing` apart (`vrrp_garp_interval`; blocking, so call it from a thread of your own when not zero).
    /// - Returns: how many frames were sent (0 on an `IFF_NOARP` interface).
    @discardableResult
    public func sendBurst(_ addresses: [VRRPAddress], on interface: NetworkInterface, count: Int, router: Bool = false,
                          spacing: Duration = .zero) throws(NetworkError) -> Int {
        var sent = 0
        for round in 0..<max(count, 0) {
            for (i, address) in addresses.enumerated() {
                if (round > 0 || i > 0) && spacing > .zero {
                    let (s, a) = spacing.components
                    usleep(UInt32(clamping: s * 1_000_000 + a / 1_000_000_000_000))
                }
                if try announce(address, on: interface, router: router) { sent += 1 }
            }
        }
        return sent
    }

    /// Whether IPv6 forwarding is on for the interface (`/proc/sys/net/ipv6/conf/NAME/forwarding`, read in this
    /// announcer's namespace): keepalived then sets the R flag in its NAs.
    public func isIPv6Forwarding(on interface: NetworkInterface) -> Bool {
        let value = try? inNetworkNamespace(networkNamespace) { () throws(NetworkError) -> String? in
            let f = fopen("/proc/sys/net/ipv6/conf/\(interface.name)/forwarding", "r")
            guard let f else { return nil }
            defer { fclose(f) }
            var c = [CChar](repeating: 0, count: 8)
            guard fgets(&c, 8, f) != nil else { return nil }
            return String(decoding: c.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return (value ?? nil)?.hasPrefix("1") == true
    }
}
