/// A VRRP protocol version.
public enum VRRPVersion: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// VRRPv2 (RFC 3768): IPv4 only, interval in whole seconds, 8 bytes of authentication data.
    case v2 = 2
    /// VRRPv3 (RFC 5798): IPv4 and IPv6, 12-bit interval in centiseconds, no authentication.
    case v3 = 3

    public var description: String { "\(rawValue)" }
}

/// The VRRPv2 authentication type byte (RFC 2338 §5.3.6; RFC 3768 keeps the values reserved).
public struct AuthType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte on the wire.
    public var rawValue: UInt8
    /// Creates a type from its byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 0: no authentication (the auth data is 8 zero bytes).
    public static let none = AuthType(rawValue: 0)
    /// 1: simple text password (`auth_type PASS`): the first 8 bytes of the password, zero-padded.
    public static let simplePassword = AuthType(rawValue: 1)
    /// 2: IPsec AH (`auth_type AH`); keepalived sends it with an AH header in front of the message.
    public static let ipsecAH = AuthType(rawValue: 2)

    public var description: String { "\(rawValue)" }
}

/// A VRRP advertisement (type 1): the VRRP message alone, without the IP header. Field meanings depend on
/// ``version``; see RFC 3768 §5.1 and RFC 5798 §5.1 (reference §1.2-1.3).
///
/// ```swift
/// let advert = Advertisement(version: .v2, vrid: 51, priority: 100, maxAdvertInterval: 1,
///                            addresses: [vip], authType: .simplePassword, authData: Advertisement.password("secret"))
/// let bytes = try advert.encode(source: myAddress, destination: .multicastGroupV4)
/// let back = try Advertisement.decode(bytes, family: .ipv4, checksum: .verify(source: myAddress, destination: .multicastGroupV4))
/// ```
public struct Advertisement: Hashable, Sendable {
    /// The protocol version (high nibble of byte 0).
    public var version: VRRPVersion
    /// The virtual router id, 1-255 (0 is invalid but carried as received).
    public var vrid: UInt8
    /// The sender's priority: 255 address owner, 1-254 backups, 0 the master resigning.
    public var priority: UInt8
    /// The advertisement interval in the version's unit: whole seconds for v2 (8 bits), centiseconds for v3
    /// (12 bits; the 4 reserved bits are sent as 0 and ignored on receive).
    public var maxAdvertInterval: UInt16
    /// The addresses (VIPs) advertised, all of one family.
    public var addresses: [VRRPAddress]
    /// VRRPv2 only: the authentication type.
    public var authType: AuthType
    /// VRRPv2 only: the 8 authentication bytes (zeros when there is no password). Ignored for v3.
    public var authData: [UInt8]

    /// Creates an advertisement (type 1).
    public init(version: VRRPVersion, vrid: UInt8, priority: UInt8, maxAdvertInterval: UInt16,
                addresses: [VRRPAddress], authType: AuthType = .none, authData: [UInt8] = Advertisement.noAuthData) {
        self.version = version
        self.vrid = vrid
        self.priority = priority
        self.maxAdvertInterval = maxAdvertInterval
        self.addresses = addresses
        self.authType = authType
        self.authData = authData
    }

    /// Length of the fixed header (version/type to checksum).
    public static let headerLength = 8
    /// Length of the VRRPv2 authentication data.
    public static let authDataLength = 8
    /// The VRRP packet type of an advertisement (the only type defined).
    public static let advertisementType: UInt8 = 1
    /// Eight zero bytes: the auth data of `auth_type` none.
    public static let noAuthData = [UInt8](repeating: 0, count: 8)

    /// keepalived's `auth_pass`: the first 8 bytes of the UTF-8 text, zero-padded to 8.
    public static func password(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8.prefix(authDataLength))
        return bytes + [UInt8](repeating: 0, count: authDataLength - bytes.count)
    }

    /// The advertisement interval in microseconds (seconds × 10⁶ for v2, centiseconds × 10⁴ for v3).
    public var intervalMicroseconds: UInt64 {
        switch version {
        case .v2: UInt64(maxAdvertInterval) * 1_000_000
        case .v3: UInt64(maxAdvertInterval & 0x0fff) * 10_000
        }
    }

    /// The message length on the wire for `count` addresses of `family`: 16 + 4N (v2), 8 + 4N or 8 + 16N (v3).
    public static func length(version: VRRPVersion, family: AddressFamily, count: Int) -> Int {
        headerLength + count * family.addressLength + (version == .v2 ? authDataLength : 0)
    }

    // MARK: - Encoding

    /// Encodes the message with its checksum: v2 over the message alone (RFC 3768 §5.3.8); v3 with the
    /// pseudo-header of `source` and `destination` (what keepalived 2.2.7 sends, for IPv4 too), unless `form`
    /// says otherwise. For unicast, `destination` is the peer the copy goes to.
    ///
    /// Throws when the model cannot be put on the wire (more than 255 addresses, mixed families, IPv6 in v2,
    /// an interval that does not fit, auth data not 8 bytes, a source of the wrong family).
    public func encode(source: VRRPAddress, destination: VRRPAddress, form: ChecksumForm? = nil) throws(PacketError) -> [UInt8] {
        var message = try encodeUnchecksummed()
        let family = addresses.first?.family ?? source.family
        guard source.family == family, destination.family == family else { throw .addressFamilyMismatch }
        let sum: UInt16
        switch form ?? (version == .v2 ? .message : .pseudoHeader) {
        case .message: sum = InternetChecksum.compute(message)
        case .pseudoHeader: sum = InternetChecksum.vrrpV3(message: message, source: source, destination: destination)
        case .pseudoHeaderMulticastGroup:
            sum = InternetChecksum.vrrpV3(message: message, source: source,
                                          destination: family == .ipv4 ? .multicastGroupV4 : .multicastGroupV6)
        }
        message[6] = UInt8(sum >> 8)
        message[7] = UInt8(sum & 0xff)
        return message
    }

    /// Encodes the message with a zero checksum field, for a socket that fills it in (`IPV6_CHECKSUM` 6).
    public func encodeUnchecksummed() throws(PacketError) -> [UInt8] {
        guard addresses.count <= 255 else { throw .tooManyAddresses(addresses.count) }
        let family = addresses.first?.family ?? .ipv4
        guard addresses.allSatisfy({ $0.family == family }) else { throw .addressFamilyMismatch }
        if version == .v2 && family == .ipv6 { throw .ipv6InVersion2 }
        switch version {
        case .v2: guard maxAdvertInterval <= 255 else { throw .intervalOutOfRange(maxAdvertInterval) }
        case .v3: guard maxAdvertInterval <= 0x0fff else { throw .intervalOutOfRange(maxAdvertInterval) }
        }
        var out: [UInt8] = []
        out.reserveCapacity(Self.length(version: version, family: family, count: addresses.count))
        out.append(version.rawValue << 4 | Self.advertisementType)
        out.append(vrid)
        out.append(priority)
        out.append(UInt8(addresses.count))
        switch version {
        case .v2:
            out.append(authType.rawValue)
            out.append(UInt8(maxAdvertInterval))
        case .v3:
            out.append(UInt8(maxAdvertInterval >> 8))
            out.append(UInt8(maxAdvertInterval & 0xff))
        }
        out += [0, 0]
        for a in addresses {
            let b = a.bytes
            guard b.count == family.addressLength else { throw .addressFamilyMismatch }
            out += b
        }
        if version == .v2 {
            guard authData.count == Self.authDataLength else { throw .badAuthDataLength(authData.count) }
            out += authData
        }
        return out
    }

    // MARK: - Decoding

    /// Decodes and fully checks one VRRP message (the bytes after the IP header): version, type, length against
    /// the address count, and (when asked) the checksum. Errors name what was wrong; nothing traps.
    ///
    /// For a keepalived-compatible receive path with its order of checks and its drop reasons, use
    /// ``ReceiveValidator`` instead.
    public static func decode(_ message: some Collection<UInt8>, family: AddressFamily,
                              checksum: ChecksumCheck = .skip) throws(PacketError) -> Advertisement {
        let bytes = Array(message)
        guard let header = AdvertisementHeader(bytes) else { throw .truncated(length: bytes.count) }
        guard let version = VRRPVersion(rawValue: header.version) else { throw .wrongVersion(header.version) }
        guard header.type == advertisementType else { throw .wrongType(header.type) }
        if version == .v2 && family == .ipv6 { throw .ipv6InVersion2 }
        let expected = length(version: version, family: family, count: Int(header.count))
        guard bytes.count == expected else {
            throw .lengthMismatch(expected: expected, actual: bytes.count, addressCount: header.count)
        }
        if case .verify(let source, let destination) = checksum {
            guard ChecksumForm.detect(bytes, version: version, source: source, destination: destination) != nil else {
                throw .badChecksum(received: header.checksum)
            }
        }
        return advertisement(from: bytes, header: header, version: version, family: family)
    }

    /// Builds the model from bytes whose length has been checked against the address count.
    static func advertisement(from bytes: [UInt8], header: AdvertisementHeader, version: VRRPVersion,
                              family: AddressFamily) -> Advertisement {
        let n = family.addressLength
        var addresses: [VRRPAddress] = []
        addresses.reserveCapacity(Int(header.count))
        for i in 0..<Int(header.count) {
            let start = headerLength + i * n
            if let a = VRRPAddress(bytes: bytes[start..<(start + n)]) { addresses.append(a) }
        }
        let authStart = headerLength + Int(header.count) * n
        switch version {
        case .v2:
            return Advertisement(version: .v2, vrid: header.vrid, priority: header.priority,
                                 maxAdvertInterval: UInt16(bytes[5]), addresses: addresses,
                                 authType: AuthType(rawValue: bytes[4]),
                                 authData: Array(bytes[authStart..<(authStart + authDataLength)]))
        case .v3:
            return Advertisement(version: .v3, vrid: header.vrid, priority: header.priority,
                                 maxAdvertInterval: (UInt16(bytes[4]) << 8 | UInt16(bytes[5])) & 0x0fff,
                                 addresses: addresses)
        }
    }
}

/// The fixed 8 bytes of any VRRP message, read without judging them (keepalived's `vrrphdr_t`).
public struct AdvertisementHeader: Hashable, Sendable {
    /// High nibble of byte 0.
    public var version: UInt8
    /// Low nibble of byte 0.
    public var type: UInt8
    /// Byte 1.
    public var vrid: UInt8
    /// Byte 2.
    public var priority: UInt8
    /// Byte 3: the address count.
    public var count: UInt8
    /// Byte 4 (v2 auth type; v3 reserved bits and interval high bits).
    public var byte4: UInt8
    /// Byte 5 (v2 interval in seconds; v3 interval low byte).
    public var byte5: UInt8
    /// Bytes 6-7.
    public var checksum: UInt16

    /// Reads the header, or `nil` when fewer than 8 bytes are given.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count >= Advertisement.headerLength else { return nil }
        self.init(unchecked: Array(bytes.prefix(Advertisement.headerLength)), at: 0)
    }

    /// Reads the header at `offset` of `b`, or `nil` when fewer than 8 bytes follow it (the receive path: no copy).
    public init?(_ b: [UInt8], at offset: Int) {
        guard offset >= 0, b.count - offset >= Advertisement.headerLength else { return nil }
        self.init(unchecked: b, at: offset)
    }

    private init(unchecked b: [UInt8], at o: Int) {
        version = b[o] >> 4
        type = b[o] & 0x0f
        vrid = b[o + 1]
        priority = b[o + 2]
        count = b[o + 3]
        byte4 = b[o + 4]
        byte5 = b[o + 5]
        checksum = UInt16(b[o + 6]) << 8 | UInt16(b[o + 7])
    }

    /// The v3 interval in centiseconds (12 bits).
    public var v3Interval: UInt16 { (UInt16(byte4) << 8 | UInt16(byte5)) & 0x0fff }
}

/// Which checksum a message carries (reference §1.4).
public enum ChecksumForm: Hashable, Sendable {
    /// Over the message alone: VRRPv2, and VRRPv3 over IPv4 as RFC 9568 §5.2.8 (and Cisco, keepalived ≥ 2.2.8's
    /// `v3_checksum_as_v2`) send it.
    case message
    /// VRRPv3 with the pseudo-header of the real source and destination (keepalived 2.2.7, RFC 5798, IPv6).
    case pseudoHeader
    /// VRRPv3 unicast with the multicast group in the pseudo-header instead of the peer (keepalived ≤ 1.3.6 and
    /// `old_unicast_checksum`).
    case pseudoHeaderMulticastGroup

    /// The form `message` (a complete VRRP message) verifies under, or `nil` if none does. v2 accepts only
    /// ``message``; v3 IPv6 only ``pseudoHeader``; v3 IPv4 tries ``pseudoHeader``, then (unicast, when the
    /// destination is not the group) ``pseudoHeaderMulticastGroup``, then ``message``.
    public static func detect(_ message: [UInt8], version: VRRPVersion, source: VRRPAddress,
                              destination: VRRPAddress) -> ChecksumForm? {
        switch version {
        case .v2:
            return InternetChecksum.compute(message) == 0 ? .message : nil
        case .v3:
            if InternetChecksum.vrrpV3(message: message, source: source, destination: destination) == 0 {
                return .pseudoHeader
            }
            guard source.family == .ipv4 else { return nil }
            if destination != .multicastGroupV4,
               InternetChecksum.vrrpV3(message: message, source: source, destination: .multicastGroupV4) == 0 {
                return .pseudoHeaderMulticastGroup
            }
            return InternetChecksum.compute(message) == 0 ? .message : nil
        }
    }
}

/// Whether ``Advertisement/decode(_:family:checksum:)`` verifies the checksum.
public enum ChecksumCheck: Hashable, Sendable {
    /// Do not look at it (IPv6 with `IPV6_CHECKSUM`: the kernel has verified it).
    case skip
    /// Verify it with these IP addresses (used only by the v3 pseudo-header).
    case verify(source: VRRPAddress, destination: VRRPAddress)
}
