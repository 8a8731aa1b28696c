/// Why a received packet was not taken as an advertisement: one case per check of keepalived 2.2.7's
/// `vrrp_check_packet` (reference §2), plus the gating before it, so the daemon can count drops by reason.
public enum DropReason: Error, Hashable, Sendable, CustomStringConvertible {
    /// Too short to hold the IP header (IPv4) and the 8-byte VRRP header (`vrrp_get_header`).
    case tooShort(family: AddressFamily, length: Int)
    /// The IPv4 header itself is unusable (not version 4, IHL below 5).
    case malformedIPHeader(PacketError)
    /// No instance has this VRID on the interface (keepalived drops these silently; `log_unknown_vrids` logs).
    case unknownVRID(UInt8)
    /// Check 1: an AH header is present (IP protocol 51) although our auth type is not AH; AH is not supported.
    case authHeaderMismatch
    /// Check 2: the length is not what the header's version and address count imply.
    case lengthMismatch(received: Int, expected: Int)
    /// Check 3: a multicast advert whose TTL / hop limit is not 255.
    case ttlNot255(received: Int)
    /// Check 4: another VRRP version (v2 and v3 never interoperate).
    case versionMismatch(received: UInt8, expected: UInt8)
    /// Check 5: a v2 auth type other than 0, 1 or 2.
    case invalidAuthType(UInt8)
    /// Check 5: a v2 auth type other than ours.
    case authTypeMismatch(received: UInt8, expected: UInt8)
    /// Check 5: a simple password that differs from ours.
    case passwordMismatch
    /// Check 6 (a DROP, not a KO): a v2 advert interval different from ours.
    case intervalMismatch(mineSeconds: UInt64, receivedSeconds: UInt8)
    /// Check 7: a packet type other than 1.
    case invalidType(UInt8)
    /// Check 8: a different number of addresses than our VIPs.
    case addressCountMismatch(received: UInt8, expected: Int)
    /// Check 9: the IPv4 total length is not the number of bytes received.
    case ipTotalLengthMismatch(header: Int, received: Int)
    /// Check 10: the checksum verifies in no accepted form (IPv4; the kernel checks IPv6).
    case badChecksum(version: VRRPVersion)
    /// Check 11: multicast received by a unicast instance or the reverse (for IPv6 keepalived checks this
    /// before all the others).
    case castModeMismatch(expectedUnicast: Bool)
    /// Check 12: one of our VIPs is missing from the advert.
    case addressMissing(VRRPAddress)
    /// Check 13: with `check_unicast_src`, the sender is not a configured peer.
    case sourceNotPeer(VRRPAddress)
    /// Check 13: with `check_unicast_src`, the TTL is outside the peer's `min_ttl`..`max_ttl`.
    case peerTTLOutOfRange(received: Int, min: UInt8, max: UInt8)

    /// A stable name per reason, for metrics labels.
    public var name: String {
        switch self {
        case .tooShort: "too_short"
        case .malformedIPHeader: "malformed_ip_header"
        case .unknownVRID: "unknown_vrid"
        case .authHeaderMismatch: "ah_mismatch"
        case .lengthMismatch: "length"
        case .ttlNot255: "ttl"
        case .versionMismatch: "version"
        case .invalidAuthType: "invalid_auth_type"
        case .authTypeMismatch: "auth_type_mismatch"
        case .passwordMismatch: "auth_failure"
        case .intervalMismatch: "interval_mismatch"
        case .invalidType: "invalid_type"
        case .addressCountMismatch: "address_count"
        case .ipTotalLengthMismatch: "ip_total_length"
        case .badChecksum: "checksum"
        case .castModeMismatch: "cast_mode"
        case .addressMissing: "address_missing"
        case .sourceNotPeer: "source_not_peer"
        case .peerTTLOutOfRange: "peer_ttl"
        }
    }

    /// keepalived's log line for this drop (without the `(VI_1) ` prefix where keepalived has one; see
    /// ``logLine(instance:)``), or `nil` where keepalived logs nothing by default.
    public var keepalivedMessage: String? {
        switch self {
        case .tooShort(let f, let n): "\(f == .ipv4 ? "IPv4" : "IPv6") VRRP packet too short - \(n) bytes"
        case .malformedIPHeader: nil
        case .unknownVRID: nil
        case .authHeaderMismatch: "Received AH header but auth type not AH"
        case .lengthMismatch(let r, let e): "vrrp packet too \(r > e ? "long" : "short"), length \(r) and expect \(e)"
        case .ttlNot255(let t): "invalid TTL/HL. Received \(t) and expect 255"
        case .versionMismatch(let r, let e): "wrong version. Received \(r) and expect \(e)"
        case .invalidAuthType(let t): "Invalid auth type: \(t)"
        case .authTypeMismatch(let r, let e): "received a \(r) auth, expecting \(e)!"
        case .passwordMismatch: "received an invalid passwd!"
        case .intervalMismatch(let m, let r): "advertisement interval mismatch mine=\(m) sec rcv'd=\(r) sec"
        case .invalidType(let t): "Invalid packet type. \(t) and expect 1"
        case .addressCountMismatch(let r, let e): "received an unexpected ip number count \(r), expected \(e)!"
        case .ipTotalLengthMismatch(let h, let r): "ip_tot_len mismatch against received length. \(h) and received \(r)"
        case .badChecksum(let v): "Invalid VRRPv\(v) checksum"
        case .castModeMismatch(let u): "Expected \(u ? "un" : "mult")icast packet but received \(u ? "mult" : "un")icast packet"
        case .addressMissing: nil  // needs the VRID: see logLine(instance:vrid:)
        case .sourceNotPeer(let a): "unicast source address \(a) not a unicast peer"
        case .peerTTLOutOfRange(let t, let lo, let hi): "TTL/HL \(t) not in range \(lo) - \(hi)"
        }
    }

    /// The whole log line as keepalived writes it for instance `instance` with VRID `vrid`, or `nil`.
    public func logLine(instance: String, vrid: UInt8) -> String? {
        if case .addressMissing(let a) = self {
            return "(\(instance)) ip address associated with VRID \(vrid) not present in MASTER advert: \(a)"
        }
        guard let m = keepalivedMessage else { return nil }
        if case .tooShort = self { return m }
        return "(\(instance)) \(m)"
    }

    /// Whether keepalived classes this as `VRRP_PACKET_DROP` rather than `VRRP_PACKET_KO` (the v2 interval
    /// mismatch, and unknown VRIDs which never reach the check); the packet is ignored either way.
    public var isKeepalivedDrop: Bool {
        switch self {
        case .intervalMismatch, .unknownVRID: true
        default: false
        }
    }

    public var description: String { keepalivedMessage ?? name }
}
