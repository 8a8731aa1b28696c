extension Sequence where Element == ServiceEntry {
    /// The entries by service key: the one index of a table that every reader uses. A key listed twice (a kernel
    /// dump can repeat an entry) keeps its first entry.
    public func indexedByKey() -> [ServiceKey: ServiceEntry] {
        var byKey: [ServiceKey: ServiceEntry] = [:]
        byKey.reserveCapacity(underestimatedCount)
        for entry in self where byKey[entry.service.key] == nil { byKey[entry.service.key] = entry }
        return byKey
    }
}
