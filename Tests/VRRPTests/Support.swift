import Testing
@testable import VRRP

/// Bytes from a hex string (spaces ignored); fails the test on a bad digit.
func hexBytes(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    try #require(digits.count % 2 == 0, "odd number of hex digits", sourceLocation: sourceLocation)
    var out: [UInt8] = []
    for i in stride(from: 0, to: digits.count, by: 2) {
        let byte = try #require(UInt8(String(digits[i...i + 1]), radix: 16), sourceLocation: sourceLocation)
        out.append(byte)
    }
    return out
}

/// Hex text of bytes, for readable failures.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// An address from text; fails the test when malformed.
func addr(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> VRRPAddress {
    try #require(VRRPAddress(text), sourceLocation: sourceLocation)
}

/// A fake clock: instants as offsets in microseconds from a fixed origin.
struct FakeClock {
    let origin = ContinuousClock.now
    private(set) var offset: UInt64 = 0

    var now: ContinuousClock.Instant { at(offset) }
    func at(_ microseconds: UInt64) -> ContinuousClock.Instant { origin + .microseconds(Int64(microseconds)) }
    mutating func advance(to microseconds: UInt64) { offset = microseconds }
    /// Microseconds from the origin to an instant.
    func micros(_ instant: ContinuousClock.Instant) -> Int64 {
        let c = origin.duration(to: instant).components
        return c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
    }
}

extension Array where Element == InstanceAction {
    /// Priorities of the adverts sent, in order.
    var advertPriorities: [UInt8] {
        compactMap { if case .sendAdvert(let a) = $0 { a.priority } else { nil } }
    }
    /// The instant a timer was armed at, if it was.
    func armed(_ kind: TimerKind) -> ContinuousClock.Instant? {
        for case .armTimer(let k, let at) in self where k == kind { return at }
        return nil
    }
    /// The transitions reported.
    var transitions: [(VRRPState, VRRPState)] {
        compactMap { if case .transition(let a, let b) = $0 { (a, b) } else { nil } }
    }
    /// The log lines.
    var logLines: [String] {
        compactMap { if case .log(let l) = $0 { l } else { nil } }
    }
}
