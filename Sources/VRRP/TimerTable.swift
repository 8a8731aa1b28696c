/// One value per ``TimerKind`` in fixed slots: what a `[TimerKind: Value]` would hold, without hashing or a
/// heap-allocated table on the path every received advert takes (a BACKUP re-arms Master_Down each time).
public struct TimerTable<Value>: Sendable where Value: Sendable {
    private var masterDown: Value?
    private var advert: Value?
    private var garpMasterDelay: Value?
    private var garpLowerPriorityDelay: Value?

    /// An empty table.
    public init() {}

    /// The value for `kind`; `nil` clears it.
    @inlinable
    public subscript(kind: TimerKind) -> Value? {
        get { slot(kind) }
        set { setSlot(kind, newValue) }
    }

    @usableFromInline
    func slot(_ kind: TimerKind) -> Value? {
        switch kind {
        case .masterDown: masterDown
        case .advert: advert
        case .garpMasterDelay: garpMasterDelay
        case .garpLowerPriorityDelay: garpLowerPriorityDelay
        }
    }

    @usableFromInline
    mutating func setSlot(_ kind: TimerKind, _ value: Value?) {
        switch kind {
        case .masterDown: masterDown = value
        case .advert: advert = value
        case .garpMasterDelay: garpMasterDelay = value
        case .garpLowerPriorityDelay: garpLowerPriorityDelay = value
        }
    }

    /// Clears `kind` and returns what it held.
    @discardableResult
    public mutating func removeValue(forKey kind: TimerKind) -> Value? {
        let old = slot(kind)
        setSlot(kind, nil)
        return old
    }

    /// The values set, in ``TimerKind``'s order.
    public var values: [Value] { TimerKind.allCases.compactMap { slot($0) } }

    /// Whether no kind is set.
    public var isEmpty: Bool { values.isEmpty }
}

extension TimerTable: Equatable where Value: Equatable {}
extension TimerTable: Hashable where Value: Hashable {}
