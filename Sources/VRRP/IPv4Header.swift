/// The IPv4 header keepalived 2.2.7 builds itself (`IP_HDRINCL`, `vrrp_build_ip4` and `vrrp_update_pkt`): TOS
/// 0xc0, no DF and no fragment offset, TTL 255 (`unicast_ttl` may change it), protocol 112, an identification that
/// counts up per instance from 1 and skips 0 (the kernel would fill in a 0), and the header checksum (which the
/// kernel recomputes for `IP_HDRINCL` anyway). Options are carried through on decode but never built.
public struct IPv4Header: Hashable, Sendable {
    /// Type of service: 0xc0 (CS6, internet network control) from keepalived.
    public var tos: UInt8
    /// Total length of the datagram: header plus VRRP message.
    public var totalLength: UInt16
    /// Identification.
    public var identification: UInt16
    /// Flags (3 bits) and fragment offset; 0 from keepalived (no DF).
    public var flagsAndFragmentOffset: UInt16
    /// Time to live; must be 255 on receive for multicast (RFC 3768 §7.1).
    public var ttl: UInt8
    /// Protocol: 112 (VRRP), or 51 when an AH header precedes the message.
    public var proto: UInt8
    /// The header checksum as received or built.
    public var checksum: UInt16
    /// Source address.
    public var source: VRRPAddress
    /// Destination address: the group, or the unicast peer.
    public var destination: VRRPAddress
    /// Header length in bytes (20 plus options).
    public var headerLength: Int

    /// The header keepalived sends for a VRRP message of `payloadLength` bytes.
    public init(source: VRRPAddress, destination: VRRPAddress, payloadLength: Int, identification: UInt16,
                ttl: UInt8 = 255, tos: UInt8 = 0xc0) {
        self.tos = tos
        self.totalLength = UInt16(truncatingIfNeeded: 20 + payloadLength)
        self.identification = identification
        self.flagsAndFragmentOffset = 0
        self.ttl = ttl
        self.proto = IPProtocolVRRP
        self.checksum = 0
        self.source = source
        self.destination = destination
        self.headerLength = 20
        self.checksum = computedChecksum()
    }

    /// The header checksum over the 20 bytes with a zero checksum field, summed as words (no bytes built: an
    /// advert is sent per instance and interval).
    private func computedChecksum() -> UInt16 {
        guard case .v4(let s) = source, case .v4(let d) = destination else {
            return InternetChecksum.compute(bytes(checksum: 0))
        }
        var sum = 0x4500 | UInt32(tos)
        sum += UInt32(totalLength) + UInt32(identification) + UInt32(flagsAndFragmentOffset)
        sum += UInt32(ttl) << 8 | UInt32(proto)
        sum += (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff)
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// The 20 header bytes with the header checksum.
    public func encode() -> [UInt8] { bytes(checksum: checksum) }

    /// Appends the 20 header bytes with the header checksum to `out`.
    public func append(to out: inout [UInt8]) {
        out.append(contentsOf: [0x45, tos, UInt8(totalLength >> 8), UInt8(totalLength & 0xff),
                                UInt8(identification >> 8), UInt8(identification & 0xff),
                                UInt8(flagsAndFragmentOffset >> 8), UInt8(flagsAndFragmentOffset & 0xff),
                                ttl, proto, UInt8(checksum >> 8), UInt8(checksum & 0xff)])
        for a in [source, destination] {
            switch a {
            case .v4(let v): out.append(contentsOf: [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)])
            case .v6: out.append(contentsOf: a.bytes)
            }
        }
    }

    private func bytes(checksum: UInt16) -> [UInt8] {
        var out: [UInt8] = [0x45, tos, UInt8(totalLength >> 8), UInt8(totalLength & 0xff),
                            UInt8(identification >> 8), UInt8(identification & 0xff),
                            UInt8(flagsAndFragmentOffset >> 8), UInt8(flagsAndFragmentOffset & 0xff),
                            ttl, proto, UInt8(checksum >> 8), UInt8(checksum & 0xff)]
        out += source.bytes
        out += destination.bytes
        return out
    }

    /// Reads the header of a datagram as a raw IPv4 socket returns it. Checks only what is needed to find the
    /// payload (version 4, IHL ≥ 5, enough bytes); the total length and TTL are left to the validator, which
    /// checks them in keepalived's order.
    public static func decode(_ datagram: some Collection<UInt8>) throws(PacketError) -> IPv4Header {
        try decode(Array(datagram))
    }

    /// ``decode(_:)`` for a datagram in an array (the receive path: no copy).
    public static func decode(_ b: [UInt8]) throws(PacketError) -> IPv4Header {
        guard b.count >= 20 else { throw .ipv4HeaderTruncated(length: b.count) }
        guard b[0] >> 4 == 4 else { throw .notIPv4(b[0] >> 4) }
        let ihl = Int(b[0] & 0x0f) * 4
        guard ihl >= 20 else { throw .badIPv4HeaderLength(ihl) }
        guard b.count >= ihl else { throw .ipv4HeaderTruncated(length: b.count) }
        return IPv4Header(tos: b[1], totalLength: UInt16(b[2]) << 8 | UInt16(b[3]),
                          identification: UInt16(b[4]) << 8 | UInt16(b[5]),
                          flagsAndFragmentOffset: UInt16(b[6]) << 8 | UInt16(b[7]), ttl: b[8], proto: b[9],
                          checksum: UInt16(b[10]) << 8 | UInt16(b[11]), source: VRRPAddress(ipv4In: b, at: 12),
                          destination: VRRPAddress(ipv4In: b, at: 16), headerLength: ihl)
    }

    private init(tos: UInt8, totalLength: UInt16, identification: UInt16, flagsAndFragmentOffset: UInt16, ttl: UInt8,
                 proto: UInt8, checksum: UInt16, source: VRRPAddress, destination: VRRPAddress, headerLength: Int) {
        self.tos = tos
        self.totalLength = totalLength
        self.identification = identification
        self.flagsAndFragmentOffset = flagsAndFragmentOffset
        self.ttl = ttl
        self.proto = proto
        self.checksum = checksum
        self.source = source
        self.destination = destination
        self.headerLength = headerLength
    }
}

/// keepalived's per-instance IPv4 identification: incremented before each advert (once per send, not per unicast
/// peer), wrapping from 65535 to 1 because 0 would let the kernel choose.
public struct IPv4IdentificationCounter: Hashable, Sendable {
    /// The last identification used (0 before the first advert).
    public private(set) var last: UInt16

    /// A counter whose first ``next()`` returns `last + 1` (skipping 0).
    public init(last: UInt16 = 0) { self.last = last }

    /// The identification for the next advert.
    public mutating func next() -> UInt16 {
        last &+= 1
        if last == 0 { last = 1 }
        return last
    }
}
