import IPVSKit

/// What one synchronisation of the announce interface did.
public struct AnnounceSync: Hashable, Sendable {
    /// Addresses added to the announce interface.
    public var added: [IPAddress] = []
    /// Addresses removed from it (withdrawn, or found there and not wanted).
    public var removed: [IPAddress] = []
    /// Whether the interface was created by this synchronisation.
    public var createdInterface = false
    /// Creates a result.
    public init(added: [IPAddress] = [], removed: [IPAddress] = [], createdInterface: Bool = false) {
        self.added = added
        self.removed = removed
        self.createdInterface = createdInterface
    }
}

/// Why the announce interface could not be brought in line.
public struct AnnounceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failure, naming interface and address.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// The interface side of the announcements: makes the addresses on the announce interface exactly `wanted`.
/// lvsd's is ``NetlinkAnnounceNetwork`` (rtnetlink through libnl-route-3); tests use an in-memory one.
public protocol AnnounceNetwork: Sendable {
    /// Makes the addresses of `interface` exactly `wanted`, creating the interface (kind `dummy`, up) when `wanted`
    /// is not empty and it does not exist, and makes sure each of `local` is on `lo` (added, never removed).
    func sync(interface: String, wanted: Set<IPAddress>, local: [IPAddress]) async throws(AnnounceError) -> AnnounceSync
}
