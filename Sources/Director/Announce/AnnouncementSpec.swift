import IPVSKit

/// One `virtual_server` with lvsd's `announce`: which addresses it stands for and its rise/fall delays.
public struct AnnouncementSpec: Hashable, Sendable {
    /// The virtual server whose quorum decides.
    public var virtualServer: VirtualServerID
    /// Its addresses (one for `virtual_server IP PORT`, each address of a group; none for a firewall mark).
    public var addresses: [IPAddress]
    /// How long the quorum must have been up before announcing.
    public var rise: Duration
    /// How long the quorum must have been down before withdrawing.
    public var fall: Duration

    /// Creates a spec.
    public init(virtualServer: VirtualServerID, addresses: [IPAddress], rise: Duration = .zero, fall: Duration = .zero) {
        self.virtualServer = virtualServer
        self.addresses = addresses
        self.rise = rise
        self.fall = fall
    }

    /// The distinct addresses of `keys` (kernel services), in their order; firewall marks have none.
    public static func addresses(of keys: [ServiceKey]) -> [IPAddress] {
        var seen = Set<IPAddress>(), out: [IPAddress] = []
        for case .address(_, let a, _) in keys where seen.insert(a).inserted { out.append(a) }
        return out
    }
}
