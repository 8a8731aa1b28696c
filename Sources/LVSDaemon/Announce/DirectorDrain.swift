import IPVSKit
import Observability

/// `lvsd drain` / `lvsd undrain` on the daemon's side: the announce service withdraws (or restores) every
/// announcement, and `drain status` counts the connections still open to the VIPs of `announce` virtual servers
/// (active + inactive, from the kernel's table) so that the client can wait for them to end before stopping lvsd.
public struct DirectorDrain: Sendable {
    let announce: AnnounceService
    let connections: @Sendable ([IPAddress]) async -> Int?

    /// Creates the handler; `connections` counts the kernel's connections to services on these addresses (`nil`
    /// when the table cannot be read).
    public init(announce: AnnounceService, connections: @escaping @Sendable ([IPAddress]) async -> Int?) {
        self.announce = announce
        self.connections = connections
    }

    /// Counts through a kernel reader.
    public init(announce: AnnounceService, kernel: KernelReader) {
        self.init(announce: announce) { addresses in
            guard let table = await kernel.table() else { return nil }
            return Self.count(table, addresses: Set(addresses))
        }
    }

    /// Active + inactive connections of the services on `addresses`.
    public static func count(_ table: [ServiceEntry], addresses: Set<IPAddress>) -> Int {
        var n = 0
        for entry in table {
            guard case .address(_, let a, _) = entry.service.key, addresses.contains(a) else { continue }
            for d in entry.destinations { n += Int(d.activeConnections) + Int(d.inactiveConnections) }
        }
        return n
    }

    /// The reply to `drain`, `drain status` or `undrain`.
    func answer(_ request: ControlRequest) async -> ControlReply {
        let addresses = await announce.addresses
        switch request {
        case .drain:
            let left = await announce.setDrained(true)
            let report = await announce.report()
            if let error = report.error { return .failure("drain: cannot withdraw from \(report.interface): \(error)") }
            let n = await connections(addresses)
            return .success("drained: \(left.isEmpty ? "nothing" : "STILL \(left.map(\.description).joined(separator: " "))") announced on \(report.interface)"
                + " (VIPs \(addresses.isEmpty ? "none" : addresses.map(\.description).joined(separator: " ")))\n"
                + "connections \(n.map(String.init) ?? "unknown")\n")
        case .drainStatus:
            guard let n = await connections(addresses) else { return .failure("cannot read the IPVS table") }
            return .success("connections \(n)\n")
        case .undrain:
            let now = await announce.setDrained(false)
            return .success("undrained: announcing \(now.isEmpty ? "nothing (no healthy virtual server yet)" : now.map(\.description).joined(separator: " "))\n")
        default:
            return .failure("not a drain request")
        }
    }
}
