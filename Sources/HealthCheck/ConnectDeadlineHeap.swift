/// A binary min-heap of connect deadlines for ``TCPConnectProber``'s thread. Entries are never removed early: a
/// connect that finishes first bumps its slot's generation, and the stale entry is skipped when it surfaces
/// (one heap push per probe, no search).
struct ConnectDeadlineHeap {
    /// One deadline: when, and which slot generation it belongs to.
    struct Entry {
        var deadline: UInt64
        var slot: Int32
        var generation: UInt32
    }

    private var entries: [Entry] = []

    /// True when no deadline is pending.
    var isEmpty: Bool { entries.isEmpty }

    /// The earliest deadline, if any.
    var first: Entry? { entries.first }

    /// Adds a deadline. O(log n).
    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest deadline. O(log n).
    mutating func pop() -> Entry? {
        guard let top = entries.first else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return top }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count, entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
