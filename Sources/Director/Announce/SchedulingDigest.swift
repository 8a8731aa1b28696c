import IPVSKit

/// A short fingerprint of what decides where a kernel service sends a new flow: its scheduler, its flags and its
/// destinations with their weights in the kernel's order (`mh` builds its lookup table in that order). Two
/// directors of an ECMP tier whose services have the same digest pick the same real server for a flow.
///
/// The digest is FNV-1a (64 bits, 16 hex digits) of the canonical text ``canonicalText(scheduler:flags:destinations:)``:
/// `SCHEDULER|0xFLAGS|ADDRESS:PORT=WEIGHT,...`, with the kernel's `hashed` flag left out.
public enum SchedulingDigest {
    /// The digest of a kernel service and its destinations, as listed (kernel order).
    public static func digest(_ entry: ServiceEntry) -> String {
        digest(scheduler: entry.service.scheduler, flags: entry.service.flags.rawValue,
               destinations: entry.destinations.map { ("\($0.key)", $0.weight) })
    }

    /// The digest of a scheduler, flags and ordered (destination, weight) list.
    public static func digest(scheduler: String, flags: UInt32, destinations: [(String, Int32)]) -> String {
        let text = canonicalText(scheduler: scheduler, flags: flags, destinations: destinations)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The text the digest is taken of.
    public static func canonicalText(scheduler: String, flags: UInt32, destinations: [(String, Int32)]) -> String {
        let relevant = flags & ~ServiceFlags.hashed.rawValue
        return "\(scheduler)|0x\(String(relevant, radix: 16))|" + destinations.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }
}
