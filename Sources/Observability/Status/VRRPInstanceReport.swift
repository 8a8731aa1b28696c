/// One VRRP instance in ``StatusReport``: plain values filled by lvsd's VRRP service.
public struct VRRPInstanceReport: Sendable, Hashable, Codable {
    /// The instance name (`VI_1`).
    public var name: String
    /// `interface`.
    public var interface: String
    /// `virtual_router_id`.
    public var vrid: Int
    /// VRRP version, 2 or 3.
    public var version: Int
    /// `INIT`, `BACKUP`, `MASTER` or `FAULT`.
    public var state: String
    /// The configured priority.
    public var basePriority: Int
    /// The priority adverts carry now (tracking applied).
    public var effectivePriority: Int
    /// The master's address (ours when MASTER), if known.
    public var masterAddress: String?
    /// Seconds since the last accepted advert, if one was.
    public var lastAdvertAgeSeconds: Double?
    /// Adverts sent and accepted.
    public var advertsSent: UInt64
    public var advertsReceived: UInt64
    /// Adverts dropped, by reason (`interval_mismatch`, `auth_failure`, ...).
    public var drops: [String: UInt64]
    /// State changes since start.
    public var transitions: UInt64
    /// Split-brain causes detected (a MASTER ignoring another MASTER's adverts), by cause.
    public var splitBrain: [String: UInt64]
    /// The advertised VIPs.
    public var addresses: [String]

    /// Creates a report.
    public init(name: String, interface: String, vrid: Int, version: Int, state: String, basePriority: Int,
                effectivePriority: Int, masterAddress: String?, lastAdvertAgeSeconds: Double?, advertsSent: UInt64,
                advertsReceived: UInt64, drops: [String: UInt64], transitions: UInt64, splitBrain: [String: UInt64],
                addresses: [String]) {
        self.name = name
        self.interface = interface
        self.vrid = vrid
        self.version = version
        self.state = state
        self.basePriority = basePriority
        self.effectivePriority = effectivePriority
        self.masterAddress = masterAddress
        self.lastAdvertAgeSeconds = lastAdvertAgeSeconds
        self.advertsSent = advertsSent
        self.advertsReceived = advertsReceived
        self.drops = drops
        self.transitions = transitions
        self.splitBrain = splitBrain
        self.addresses = addresses
    }

    /// One line for `lvsd status`: `VI_1 eth0 vrid 51 v2 MASTER priority 150 (base 150) ...`.
    public var textLine: String {
        var line = "vrrp \(name) \(interface) vrid \(vrid) v\(version) \(state) priority \(effectivePriority)"
        if effectivePriority != basePriority { line += " (base \(basePriority))" }
        if let masterAddress { line += " master \(masterAddress)" }
        if let age = lastAdvertAgeSeconds { line += " last advert \(Int((age * 1000).rounded())) ms ago" }
        line += " sent \(advertsSent) received \(advertsReceived) transitions \(transitions)"
        let dropped = drops.values.reduce(0, +)
        if dropped > 0 {
            line += " dropped \(dropped) (" + drops.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        if !splitBrain.isEmpty { line += " SPLIT BRAIN (" + splitBrain.keys.sorted().joined(separator: ", ") + ")" }
        line += " vips " + addresses.joined(separator: " ")
        return line
    }
}
