import IPVSKit

/// ipvsadm's sort order, reproduced exactly: its comparators subtract unsigned values and read the difference as a
/// signed `int` (so values 2^31 apart compare "backwards"), and glibc's `qsort` is a top-down merge sort, whose
/// result with such a non-transitive comparator depends on the exact sequence of comparisons. Both are copied here.
enum IpvsadmSort {
    /// glibc `msort_with_tmp`: split n/2 | n - n/2, sort both halves, merge taking the left element while
    /// `compare(left, right) <= 0`.
    static func mergeSort<T>(_ items: [T], _ compare: (T, T) -> Int32) -> [T] {
        guard items.count > 1 else { return items }
        // Sorts positions, not the items: moving a position is a copy of an Int, moving an item retains and
        // releases everything it holds. The comparisons, and so the result, are the same.
        let order = items.withUnsafeBufferPointer { buffer in
            mergeSortPositions(count: buffer.count) { compare(buffer[$0], buffer[$1]) }
        }
        return order.map { items[$0] }
    }

    /// ``mergeSort(_:_:)`` of the positions `0..<count`, comparing positions: for callers that compare
    /// precomputed keys rather than whole items.
    static func mergeSortPositions(count: Int, _ compare: (Int, Int) -> Int32) -> [Int] {
        var order = Array(0..<count)
        var tmp = order
        sortRange(&order, &tmp, 0, count, compare)
        return order
    }

    private static func sortRange(_ a: inout [Int], _ tmp: inout [Int], _ lo: Int, _ n: Int, _ compare: (Int, Int) -> Int32) {
        if n <= 1 { return }
        let n1 = n / 2
        let n2 = n - n1
        sortRange(&a, &tmp, lo, n1, compare)
        sortRange(&a, &tmp, lo + n1, n2, compare)
        var i = lo, j = lo + n1, k = lo
        let iEnd = lo + n1, jEnd = lo + n
        while i < iEnd && j < jEnd {
            if compare(a[i], a[j]) <= 0 { tmp[k] = a[i]; i += 1 } else { tmp[k] = a[j]; j += 1 }
            k += 1
        }
        while i < iEnd { tmp[k] = a[i]; i += 1; k += 1 }
        // The rest of the right half is already in place.
        for x in lo..<k { a[x] = tmp[x] }
    }

    /// `(int)(a - b)` on 32-bit unsigned values.
    static func diff(_ a: UInt32, _ b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }

    /// 32-bit word `i` (0...3) of an address as ipvsadm's `union nf_inet_addr` holds it, host order.
    static func word(_ a: IPAddress, _ i: Int) -> UInt32 {
        switch a {
        case .v4(let v): return i == 0 ? v : 0
        case .v6(let hi, let lo):
            switch i {
            case 0: return UInt32(truncatingIfNeeded: hi >> 32)
            case 1: return UInt32(truncatingIfNeeded: hi)
            case 2: return UInt32(truncatingIfNeeded: lo >> 32)
            default: return UInt32(truncatingIfNeeded: lo)
            }
        }
    }

    /// The fields `ipvs_cmp_services` compares, taken out of a service once rather than at every comparison.
    struct ServiceSortKey {
        var mark: UInt32
        var family: UInt16
        var proto: UInt16
        var words: (UInt32, UInt32, UInt32, UInt32)
        var port: UInt16

        init(_ key: ServiceKey) {
            let (m, f, p, a, port) = IpvsadmSort.fields(key)
            mark = m
            family = f
            proto = p
            words = (word(a, 0), word(a, 1), word(a, 2), word(a, 3))
            self.port = port
        }
    }

    /// libipvs `ipvs_cmp_services`, on extracted keys.
    static func compareServiceKeys(_ k1: ServiceSortKey, _ k2: ServiceSortKey) -> Int32 {
        var r = diff(k1.mark, k2.mark)
        if r != 0 { return r }
        r = Int32(k1.family) - Int32(k2.family)
        if r != 0 { return r }
        r = Int32(k1.proto) - Int32(k2.proto)
        if r != 0 { return r }
        r = diff(k1.words.0, k2.words.0)
        if k1.family == AddressFamily.inet6.rawValue {
            if r == 0 { r = diff(k1.words.1, k2.words.1) }
            if r == 0 { r = diff(k1.words.2, k2.words.2) }
            if r == 0 { r = diff(k1.words.3, k2.words.3) }
        }
        if r != 0 { return r }
        return Int32(k1.port) - Int32(k2.port)
    }

    private static func fields(_ k: ServiceKey) -> (UInt32, UInt16, UInt16, IPAddress, UInt16) {
        switch k {
        case .firewallMark(let m, let f): (m, f.rawValue, 0, .v4(0), 0)
        case .address(let p, let a, let port): (0, a.family.rawValue, p.rawValue, a, port)
        }
    }

    /// libipvs `ipvs_cmp_dests`.
    static func compareDestinations(_ d1: Destination, _ d2: Destination) -> Int32 {
        var r: Int32 = 0
        if d1.address.family == .inet6 {
            for i in 0..<4 where r == 0 { r = diff(word(d1.address, i), word(d2.address, i)) }
        } else {
            r = diff(word(d1.address, 0), word(d2.address, 0))
        }
        if r != 0 { return r }
        return Int32(d1.port) - Int32(d2.port)
    }
}
