import NIOCore

extension TimeAmount {
    /// `TimeAmount` from a `Duration` (clamped at zero and at the largest representable amount).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow {
            self = seconds < 0 ? .zero : .nanoseconds(Int64.max)
        } else {
            let sum = nanos.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
            self = .nanoseconds(sum.overflow ? Int64.max : max(0, sum.partialValue))
        }
    }
}
