/// One packet to put on the wire for an advert.
public struct OutgoingPacket: Hashable, Sendable {
    /// Where it goes: the multicast group, or one unicast peer.
    public var destination: VRRPAddress
    /// IPv4: the whole datagram for a raw socket with `IP_HDRINCL` (keepalived's header, then the message).
    /// IPv6: the VRRP message for a raw socket with `IPV6_CHECKSUM` 6 (the checksum is filled in as well, with
    /// the source address given; the kernel recomputes it from the real one).
    public var bytes: [UInt8]
}

extension VRRPInstance {
    /// The packets keepalived's `vrrp_send_adv` sends for one advert: to the group, or one copy per unicast peer
    /// (in configuration order), every copy with the same IPv4 identification and a checksum computed for its own
    /// destination in ``sendChecksumForm``. Take `identification` from the instance's
    /// ``IPv4IdentificationCounter`` once per advert.
    public func packets(for advert: Advertisement, identification: UInt16) throws(PacketError) -> [OutgoingPacket] {
        let source = settings.primaryAddress
        let destinations = settings.unicastPeers.isEmpty ? [settings.multicastGroup] : settings.unicastPeers.map(\.address)
        var out: [OutgoingPacket] = []
        out.reserveCapacity(destinations.count)
        for destination in destinations {
            let message = try advert.encode(source: source, destination: destination, form: sendChecksumForm)
            switch settings.family {
            case .ipv4:
                let header = IPv4Header(source: source, destination: destination, payloadLength: message.count,
                                        identification: identification)
                var bytes: [UInt8] = []
                bytes.reserveCapacity(header.headerLength + message.count)
                header.append(to: &bytes)
                bytes.append(contentsOf: message)
                out.append(OutgoingPacket(destination: destination, bytes: bytes))
            case .ipv6:
                out.append(OutgoingPacket(destination: destination, bytes: message))
            }
        }
        return out
    }
}

extension OutgoingPacket {
    /// Gives an IPv4 datagram built by ``VRRPInstance/packets(for:identification:)`` another identification and
    /// its header checksum, as keepalived's `vrrp_update_pkt` does for each advert: the VRRP message (and its
    /// checksum, which covers no IP identification) stays as built. An IPv6 message has no identification and is
    /// left alone. The result is the packet `packets(for:identification:)` builds with `identification`.
    public mutating func restamp(identification: UInt16) {
        guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return }
        let headerLength = Int(bytes[0] & 0x0f) * 4
        guard headerLength >= 20, bytes.count >= headerLength else { return }
        bytes.withUnsafeMutableBufferPointer { b in
            b[4] = UInt8(identification >> 8)
            b[5] = UInt8(identification & 0xff)
            b[10] = 0
            b[11] = 0
            var sum: UInt32 = 0
            var i = 0
            while i < headerLength {
                sum += UInt32(b[i]) << 8 | UInt32(b[i + 1])
                i += 2
            }
            while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            let checksum = ~UInt16(sum)
            b[10] = UInt8(checksum >> 8)
            b[11] = UInt8(checksum & 0xff)
        }
    }
}
