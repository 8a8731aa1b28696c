/// One packet as a raw VRRP socket delivered it, with the facts the socket gives beside the bytes.
public struct ReceivedPacket: Hashable, Sendable {
    /// IPv4: the whole datagram (a raw IPv4 socket includes the IP header). IPv6: the VRRP message alone.
    public var bytes: [UInt8]
    /// The socket's family.
    public var family: AddressFamily
    /// IPv6: the sender (from `recvmsg`'s address); IPv4: taken from the IP header when `nil`.
    public var source: VRRPAddress?
    /// IPv6: the destination from `IPV6_PKTINFO` (tells multicast from unicast). As in keepalived, `nil` counts
    /// as unicast, so a multicast instance must ask for `IPV6_RECVPKTINFO`.
    public var destination: VRRPAddress?
    /// IPv6: the hop limit from `IPV6_HOPLIMIT`, `nil` if not received (the TTL check is then skipped, as in
    /// keepalived). IPv4 reads it from the header.
    public var hopLimit: Int?

    /// A datagram read from a raw IPv4 socket, IP header included.
    public static func ipv4(_ datagram: [UInt8]) -> ReceivedPacket {
        ReceivedPacket(bytes: datagram, family: .ipv4, source: nil, destination: nil, hopLimit: nil)
    }

    /// A VRRP message read from a raw IPv6 socket, with its ancillary data.
    public static func ipv6(_ message: [UInt8], source: VRRPAddress, destination: VRRPAddress?, hopLimit: Int?) -> ReceivedPacket {
        ReceivedPacket(bytes: message, family: .ipv6, source: source, destination: destination, hopLimit: hopLimit)
    }
}

/// An advertisement that passed every check.
public struct ReceivedAdvert: Hashable, Sendable {
    /// The decoded message.
    public var advertisement: Advertisement
    /// Who sent it (the master's address for logs and the tie-break).
    public var source: VRRPAddress
    /// The TTL / hop limit, when known.
    public var ttl: Int?
    /// The checksum form it verified under (IPv4; `nil` for IPv6, which the kernel checks). A v3 IPv4 advert
    /// with ``ChecksumForm/message`` comes from an RFC 9568 sender, not keepalived 2.2.7: count it apart.
    public var checksumForm: ChecksumForm?
}

/// A configured unicast peer (`unicast_peer { IP [min_ttl n] [max_ttl n] }`).
public struct UnicastPeer: Hashable, Sendable {
    /// The peer's address.
    public var address: VRRPAddress
    /// Lowest TTL accepted from it (checked only with `check_unicast_src`); default 0.
    public var minTTL: UInt8
    /// Highest TTL accepted from it; default 255.
    public var maxTTL: UInt8

    /// Creates a peer.
    public init(_ address: VRRPAddress, minTTL: UInt8 = 0, maxTTL: UInt8 = 255) {
        self.address = address
        self.minTTL = minTTL
        self.maxTTL = maxTTL
    }
}

/// What an instance expects of received adverts.
public struct ReceiveExpectations: Hashable, Sendable {
    /// Our protocol version.
    public var version: VRRPVersion
    /// Our family.
    public var family: AddressFamily
    /// Our VRRPv2 auth type: ``AuthType/none`` or ``AuthType/simplePassword`` (AH is not supported).
    public var authType: AuthType
    /// Our 8 password bytes (``Advertisement/password(_:)``).
    public var authData: [UInt8]
    /// Our configured advert interval in microseconds (the v2 interval check compares whole seconds).
    public var advertIntervalMicroseconds: UInt64
    /// Our advertised VIPs.
    public var addresses: [VRRPAddress]
    /// Our unicast peers; empty means multicast.
    public var unicastPeers: [UnicastPeer]
    /// `check_unicast_src` (or the global `vrrp_check_unicast_src`).
    public var checkUnicastSource: Bool
    /// Whether a v3 IPv4 checksum computed with the multicast group in place of the real destination (the old
    /// unicast form) is accepted; false with `old_unicast_checksum never`.
    public var acceptsOldUnicastChecksum: Bool = true

    /// Creates expectations.
    public init(version: VRRPVersion, family: AddressFamily, authType: AuthType = .none,
                authData: [UInt8] = Advertisement.noAuthData, advertIntervalMicroseconds: UInt64,
                addresses: [VRRPAddress], unicastPeers: [UnicastPeer] = [], checkUnicastSource: Bool = false) {
        self.version = version
        self.family = family
        self.authType = authType
        self.authData = authData
        self.advertIntervalMicroseconds = advertIntervalMicroseconds
        self.addresses = addresses
        self.unicastPeers = unicastPeers
        self.checkUnicastSource = checkUnicastSource
    }

    /// Whether the instance is in unicast mode.
    public var isUnicast: Bool { !unicastPeers.isEmpty }
}

/// keepalived 2.2.7's receive checks (`vrrp_get_header`, then `vrrp_check_packet`, reference §2), in its order,
/// so the first failing check is the one counted. Pure: no I/O, no clock.
public enum ReceiveValidator {
    /// The VRID of a packet, for finding its instance, or `nil` if the packet is too short to hold one.
    public static func vrid(of packet: ReceivedPacket) -> UInt8? {
        // header(of:) reads in place (no copy, no checksum): the same checks decide here and in validate.
        switch header(of: packet) {
        case .success(let h): h.header.vrid
        case .failure: nil
        }
    }

    /// Runs the checks. `checkAddresses` is false only for a BACKUP with `vrrp_skip_check_adv_addr` hearing the
    /// master it already knows: then checks 8, 12 and 13 are skipped (``VRRPInstance/shouldCheckAddresses(from:)``).
    public static func validate(_ packet: ReceivedPacket, expecting ours: ReceiveExpectations,
                                checkAddresses: Bool = true) -> Result<ReceivedAdvert, DropReason> {
        let found: Located
        switch header(of: packet) {
        case .success(let l): found = l
        case .failure(let reason): return .failure(reason)
        }
        let hd = found.header
        let bytes = packet.bytes
        let ip = found.ip

        // IPv6: keepalived's dispatcher discards a packet of the wrong cast before vrrp_check_packet.
        let isMulticast = ip?.destination.isMulticast ?? (packet.destination?.isMulticast ?? false)
        if packet.family == .ipv6, isMulticast == ours.isUnicast {
            return .failure(.castModeMismatch(expectedUnicast: ours.isUnicast))
        }
        // 1. AH header present exactly when our auth type is AH (never, here).
        if let ip, ip.proto == IPProtocolAH { return .failure(.authHeaderMismatch) }
        // 2. Exact length: IP header + VRRP header + addresses (+ auth data when the packet says v2).
        var expected = (ip?.headerLength ?? 0) + Advertisement.headerLength
            + Int(hd.count) * packet.family.addressLength
        if packet.family == .ipv4 && hd.version == 2 { expected += Advertisement.authDataLength }
        guard bytes.count == expected else { return .failure(.lengthMismatch(received: bytes.count, expected: expected)) }
        // 3. TTL / hop limit 255, multicast instances only.
        let ttl = ip.map { Int($0.ttl) } ?? packet.hopLimit
        if !ours.isUnicast, let ttl, ttl != 255 { return .failure(.ttlNot255(received: ttl)) }
        // 4. Version.
        guard hd.version == ours.version.rawValue else {
            return .failure(.versionMismatch(received: hd.version, expected: ours.version.rawValue))
        }
        if ours.version == .v2 {
            // 5. Authentication.
            let type = hd.byte4
            guard type <= AuthType.ipsecAH.rawValue else { return .failure(.invalidAuthType(type)) }
            guard type == ours.authType.rawValue else {
                return .failure(.authTypeMismatch(received: type, expected: ours.authType.rawValue))
            }
            if ours.authType == .simplePassword {
                // keepalived reads the password at tot_len - 8; equal to the end of the bytes once check 9 holds.
                let received = bytes.suffix(Advertisement.authDataLength)
                var diff: UInt8 = 0
                for (a, b) in zip(received, ours.authData + Advertisement.noAuthData) { diff |= a ^ b }
                if received.count != Advertisement.authDataLength || ours.authData.count != Advertisement.authDataLength {
                    diff |= 1
                }
                guard diff == 0 else { return .failure(.passwordMismatch) }
            }
            // 6. Interval, in whole seconds.
            guard ours.advertIntervalMicroseconds == UInt64(hd.byte5) * 1_000_000 else {
                return .failure(.intervalMismatch(mineSeconds: ours.advertIntervalMicroseconds / 1_000_000,
                                                  receivedSeconds: hd.byte5))
            }
        }
        // 7. Type.
        guard hd.type == Advertisement.advertisementType else { return .failure(.invalidType(hd.type)) }
        // 8. Address count.
        if checkAddresses && Int(hd.count) != ours.addresses.count {
            return .failure(.addressCountMismatch(received: hd.count, expected: ours.addresses.count))
        }
        // 9. IPv4 total length against the bytes received.
        if let ip, Int(ip.totalLength) != bytes.count {
            return .failure(.ipTotalLengthMismatch(header: Int(ip.totalLength), received: bytes.count))
        }
        // 10. Checksum (IPv4 only; with IPV6_CHECKSUM the kernel has verified IPv6).
        let message = Array(bytes[found.offset...])
        var form: ChecksumForm?
        if let ip {
            form = ChecksumForm.detect(message, version: ours.version, source: ip.source, destination: ip.destination)
            if form == nil || (form == .pseudoHeaderMulticastGroup && !ours.acceptsOldUnicastChecksum) {
                return .failure(.badChecksum(version: ours.version))
            }
        }
        // 11. Multicast / unicast must match our mode.
        if packet.family == .ipv4, isMulticast == ours.isUnicast {
            return .failure(.castModeMismatch(expectedUnicast: ours.isUnicast))
        }
        guard let version = VRRPVersion(rawValue: hd.version), let source = ip?.source ?? packet.source else {
            return .failure(.versionMismatch(received: hd.version, expected: ours.version.rawValue))
        }
        let advert = Advertisement.advertisement(from: message, header: hd, version: version, family: packet.family)
        if checkAddresses {
            // 12. Every one of our VIPs is present.
            // A linear search: a handful of VIPs per advert, and no set to build per packet.
            if let missing = ours.addresses.first(where: { !advert.addresses.contains($0) }) {
                return .failure(.addressMissing(missing))
            }
            // 13. Unicast source checks.
            if ours.isUnicast && ours.checkUnicastSource {
                guard let peer = ours.unicastPeers.first(where: { $0.address == source }) else {
                    return .failure(.sourceNotPeer(source))
                }
                if let ttl, ttl < Int(peer.minTTL) || ttl > Int(peer.maxTTL) {
                    return .failure(.peerTTLOutOfRange(received: ttl, min: peer.minTTL, max: peer.maxTTL))
                }
            }
        }
        return .success(ReceivedAdvert(advertisement: advert, source: source, ttl: ttl, checksumForm: form))
    }

    private struct Located {
        var ip: IPv4Header?
        var header: AdvertisementHeader
        var offset: Int
    }

    /// keepalived's `vrrp_get_header`: enough bytes for the IP header and the VRRP header.
    private static func header(of packet: ReceivedPacket) -> Result<Located, DropReason> {
        let bytes = packet.bytes
        switch packet.family {
        case .ipv4:
            let ip: IPv4Header
            do {
                ip = try IPv4Header.decode(bytes)
            } catch {
                if case .ipv4HeaderTruncated = error { return .failure(.tooShort(family: packet.family, length: bytes.count)) }
                return .failure(.malformedIPHeader(error))
            }
            guard let hd = AdvertisementHeader(bytes, at: ip.headerLength) else {
                return .failure(.tooShort(family: packet.family, length: bytes.count))
            }
            return .success(Located(ip: ip, header: hd, offset: ip.headerLength))
        case .ipv6:
            guard let hd = AdvertisementHeader(bytes, at: 0) else { return .failure(.tooShort(family: packet.family, length: bytes.count)) }
            return .success(Located(ip: nil, header: hd, offset: 0))
        }
    }
}
