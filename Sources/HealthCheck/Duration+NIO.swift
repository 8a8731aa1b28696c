import NIOCore

extension TimeAmount {
    /// `TimeAmount` from a `Duration` (clamped at zero and at the largest representable amount).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow {
            self = .nanoseconds(Int64.max)
        } else {
            self = .nanoseconds(max(0, nanos.partialValue + attoseconds / 1_000_000_000))
        }
    }
}

extension NIODeadline {
    /// Time elapsed since `self`, as a `Duration`.
    func elapsed() -> Duration {
        .nanoseconds((NIODeadline.now() - self).nanoseconds)
    }
}
