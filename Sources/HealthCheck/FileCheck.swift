import TrackFile

/// A `FILE_CHECK`: the number in a `track_file` changes the real server's weight, as keepalived 2.2's
/// track_file.c and check_file.c do.
///
/// The file's number times ``weight`` (negated with ``reverse``), clamped to 32 bits, is added to the real
/// server's configured weight; a product of `INT32_MIN` or less is a failure (keepalived's `IPVS_WEIGHT_FAULT`),
/// and with weight 0 any non-zero number is (with `reverse`, zero is). A missing, empty or unreadable file, or one
/// that does not start with a number, reads as 0; a number beyond 32 bits is logged and ignored.
///
/// keepalived watches the file with inotify; lvsd reads it every ``pollInterval`` (at most ``maximumReadBytes``
/// bytes, within ``readTimeout``).
public struct FileCheck: Hashable, Sendable {
    /// How often the file is read.
    public static let pollInterval: Duration = .seconds(1)
    /// keepalived reads at most 127 bytes of the file.
    public static let maximumReadBytes = TrackFile.maximumReadBytes
    /// A read that takes longer is abandoned, and the value left as it was.
    public static let readTimeout: Duration = .seconds(5)
    /// keepalived's `IPVS_WEIGHT_FAULT`.
    public static let fault = Int64(Int32.min)

    /// The `track_file` name (in log lines).
    public var name: String
    /// The file.
    public var path: String
    /// The multiplier (the FILE_CHECK's `weight`, else the track_file's, default 1).
    public var weight: Int
    /// `reverse`.
    public var reverse: Bool
    /// The real server's configured weight, to which the product is added.
    public var baseWeight: Int64
    /// `init_file`'s value, if the track_file has `init_file`.
    public var initValue: Int?
    /// `init_file ... overwrite`.
    public var initOverwrite: Bool

    /// Creates a file check.
    public init(name: String, path: String, weight: Int = 1, reverse: Bool = false, baseWeight: Int64 = 1,
                initValue: Int? = nil, initOverwrite: Bool = false) {
        self.name = name
        self.path = path
        self.weight = weight
        self.reverse = reverse
        self.baseWeight = baseWeight
        self.initValue = initValue
        self.initOverwrite = initOverwrite
    }

    /// The file's contribution for `value`, as keepalived's `update_track_file_status` computes it: with weight 0,
    /// ``fault`` or 0; otherwise value × weight (× −1 with `reverse`) clamped to 32 bits, ``fault`` meaning down.
    public func status(of value: Int64) -> Int64 {
        if weight == 0 { return ((value != 0) != reverse) ? Self.fault : 0 }
        // |value| <= 2^31 and |weight| < 2^31: the product fits in 64 bits.
        let product = value * Int64(weight) * (reverse ? -1 : 1)
        return min(max(product, Self.fault), Int64(Int32.max))
    }

    /// Whether keepalived starts the checker down for the value read at start-up (`init_service_rs`): with a
    /// weight, a product of ``fault`` or less; with weight 0, any non-zero value (keepalived ignores `reverse`
    /// here).
    public func startsDown(with value: Int64) -> Bool {
        weight == 0 ? value != 0 : status(of: value) <= Self.fault
    }
}
