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
