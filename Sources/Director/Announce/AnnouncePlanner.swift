import IPVSKit

/// The announce decisions of every `announce` virtual server, and the addresses they put on the announce
/// interface.
///
/// An address is announced when every `announce` virtual server that has it decides to announce (a director that
/// cannot serve one of a VIP's services must not attract that VIP's traffic): give each service its own VIP when
/// services must fail independently. Pure; time comes from the caller.
public struct AnnouncePlanner: Sendable {
    /// The specs, in configuration order.
    public private(set) var specs: [AnnouncementSpec]
    /// The decision of each spec's virtual server.
    public private(set) var decisions: [VirtualServerID: AnnounceDecision] = [:]
    /// Whether the director is drained: nothing is announced.
    public var drained = false

    /// Creates a planner; every decision starts withdrawn.
    public init(_ specs: [AnnouncementSpec]) {
        self.specs = specs
        for s in specs { decisions[s.virtualServer] = AnnounceDecision(rise: s.rise, fall: s.fall) }
    }

    /// Takes new specs (a reload): decisions of virtual servers kept keep their state with the new delays.
    public mutating func replace(_ new: [AnnouncementSpec]) {
        var next: [VirtualServerID: AnnounceDecision] = [:]
        for s in new {
            var d = decisions[s.virtualServer] ?? AnnounceDecision()
            d.rise = s.rise
            d.fall = s.fall
            next[s.virtualServer] = d
        }
        specs = new
        decisions = next
    }

    /// Feeds each virtual server's quorum (a missing one counts as down) at `now`.
    public mutating func update(quorum: [VirtualServerID: Bool], now: ContinuousClock.Instant) {
        for s in specs {
            decisions[s.virtualServer]?.update(healthy: quorum[s.virtualServer] ?? false, drained: drained, now: now)
        }
    }

    /// The addresses to announce now, in configuration order.
    public var announced: [IPAddress] {
        var verdict: [IPAddress: Bool] = [:], order: [IPAddress] = []
        for s in specs {
            let yes = decisions[s.virtualServer]?.announce ?? false
            for a in s.addresses {
                if let v = verdict[a] { verdict[a] = v && yes } else { verdict[a] = yes; order.append(a) }
            }
        }
        return order.filter { verdict[$0] == true }
    }

    /// Every address of an `announce` virtual server, announced or not, in configuration order.
    public var allAddresses: [IPAddress] {
        var seen = Set<IPAddress>()
        return specs.flatMap(\.addresses).filter { seen.insert($0).inserted }
    }

    /// The earliest pending rise or fall.
    public var nextDeadline: ContinuousClock.Instant? {
        decisions.values.compactMap(\.nextDeadline).min()
    }
}
