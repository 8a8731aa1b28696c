/// VRRP's timers in microseconds, exactly as keepalived 2.2.7 computes them (`include/vrrp.h:433-436`,
/// reference §1.5): integer arithmetic, multiplying before dividing.
public enum VRRPTimers {
    /// Microseconds per second (keepalived's `TIMER_HZ`).
    public static let second: UInt64 = 1_000_000
    /// Microseconds per centisecond (keepalived's `TIMER_CENTI_HZ`).
    public static let centisecond: UInt64 = 10_000

    /// Skew_Time for a priority: v2 `(256 − prio) · 10⁶ / 256` (independent of the interval, RFC 3768 §6.1);
    /// v3 `(256 − prio) · interval_cs · 625 / 16` (RFC 5798 §6.1, `Master_Adver_Interval` in centiseconds,
    /// truncated to whole centiseconds first as keepalived does).
    public static func skew(version: VRRPVersion, priority: UInt8, masterAdvertInterval: UInt64) -> UInt64 {
        skewCalculation(version: version, factor: 256 - UInt64(priority), masterAdvertInterval: masterAdvertInterval)
    }

    /// keepalived's `VRRP_TIMER_SKEW_MIN`: the skew of priority 255 (factor 1), used at start-up by a non-owner
    /// configured `state MASTER`.
    public static func minimumSkew(version: VRRPVersion, masterAdvertInterval: UInt64) -> UInt64 {
        skewCalculation(version: version, factor: 1, masterAdvertInterval: masterAdvertInterval)
    }

    /// Master_Down_Interval: `down_timer_adverts · Master_Adver_Interval + Skew_Time` (the factor is 3 unless
    /// `down_timer_adverts` says otherwise).
    public static func masterDown(version: VRRPVersion, priority: UInt8, masterAdvertInterval: UInt64,
                                  downTimerAdverts: UInt64 = 3) -> UInt64 {
        downTimerAdverts * masterAdvertInterval + skew(version: version, priority: priority, masterAdvertInterval: masterAdvertInterval)
    }

    /// The interval a v3 backup learns from a master's advert (RFC 5798 §6.4.2): its 12-bit centiseconds.
    public static func learnedInterval(_ advert: Advertisement) -> UInt64 {
        advert.intervalMicroseconds
    }

    private static func skewCalculation(version: VRRPVersion, factor: UInt64, masterAdvertInterval: UInt64) -> UInt64 {
        switch version {
        case .v2: factor * second / 256
        case .v3: factor * (masterAdvertInterval / centisecond) * 625 / 16
        }
    }
}
