import IPVSKit

/// keepalived's defaults (reference §5).
public enum Defaults {
    /// `lvs_sched`: wlc.
    public static let scheduler = "wlc"
    /// The protocol of an address virtual server without `protocol`: UDP.
    public static let protocolType = IPProtocol.udp
    /// Real-server weight: 1.
    public static let weight: Int32 = 1
    /// `delay_loop`: 60 s.
    public static let delayLoop = ConfigDuration.seconds(60)
    /// `connect_timeout`: 5 s.
    public static let connectTimeout = ConfigDuration.seconds(5)
    /// `persistence_timeout` without a value: 360 s.
    public static let persistenceTimeout: UInt32 = 360
    /// `quorum`: 1.
    public static let quorum: UInt32 = 1
    /// `status_code` default: 200-299.
    public static let statusCodes: ClosedRange<Int> = 200...299
    /// The schedulers keepalived accepts.
    public static let schedulers: Set<String> = [
        "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
    ]
    /// The default `retry` of a checker kind: 1 (MISC 0, DNS 3).
    public static func retry(for kind: Checker.Kind) -> UInt32 {
        switch kind {
        case .misc: 0
        case .dns: 3
        default: 1
        }
    }
    /// The default `delay_before_retry` of a checker kind: 1 s (HTTP/SSL 3 s, DNS its delay_loop).
    public static func delayBeforeRetry(for kind: Checker.Kind, delayLoop: ConfigDuration) -> ConfigDuration {
        switch kind {
        case .http, .ssl: .seconds(3)
        case .dns: delayLoop
        default: .seconds(1)
        }
    }
    /// The largest real-server weight.
    public static let maximumWeight = Int32.max
}
