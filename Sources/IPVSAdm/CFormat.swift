/// The few `printf` conversions ipvsadm's listings use.
enum CFormat {
    /// `%-Ns`: left-justified, padded with spaces to `width`.
    static func left(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : s + String(repeating: " ", count: width - n)
    }

    /// `%Ns`: right-justified.
    static func right(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }

    /// Cuts a C string at byte `n` (ipvsadm's `buf[n] = '\0'`).
    static func cut(_ s: String, _ n: Int) -> String {
        s.utf8.count <= n ? s : String(decoding: s.utf8.prefix(n), as: UTF8.self)
    }

    /// ipvsadm's `print_largenum`.
    static func largeNumber(_ i: UInt64, exact: Bool) -> String {
        if exact {
            let s = String(i)
            return right(s, s.utf8.count <= 8 ? 9 : s.utf8.count + 1)
        }
        if i < 100_000_000 { return right(String(i), 9) }
        if i < 1_000_000_000 { return right(String(i / 1000), 8) + "K" }
        if i < 100_000_000_000 { return right(String(i / 1_000_000), 8) + "M" }
        if i < 100_000_000_000_000 { return right(String(i / 1_000_000_000), 8) + "G" }
        return right(String(i / 1_000_000_000_000), 8) + "T"
    }
}
