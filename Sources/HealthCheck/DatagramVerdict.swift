/// What one received datagram means for a UDP, DNS or ICMP probe.
public enum DatagramVerdict: Hashable, Sendable {
    /// The probe succeeded.
    case success
    /// The probe failed.
    case failure(ProbeFailure)
    /// Not an answer to this probe (another query's id, another pinger's echo reply): keep waiting.
    case ignore
}
