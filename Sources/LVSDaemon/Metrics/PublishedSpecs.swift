import Director
import Synchronization

/// The virtual servers as last applied, readable without entering the director service (for metrics scrapes).
public final class PublishedSpecs: Sendable {
    private let value: Mutex<[VirtualServerSpec]>
    /// Creates the holder with the first configuration's virtual servers.
    public init(_ specs: [VirtualServerSpec]) { value = Mutex(specs) }
    /// The virtual servers now.
    public func get() -> [VirtualServerSpec] { value.withLock { $0 } }
    /// Replaces them (after a reload).
    public func set(_ specs: [VirtualServerSpec]) { value.withLock { $0 = specs } }
}
