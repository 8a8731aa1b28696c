/// Test access to ipvsadm's number formatting (`print_largenum`).
public enum CFormatProbe {
    /// `print_largenum(i, exact ? FMT_EXACT : 0)`.
    public static func large(_ i: UInt64, exact: Bool = false) -> String { CFormat.largeNumber(i, exact: exact) }
}
