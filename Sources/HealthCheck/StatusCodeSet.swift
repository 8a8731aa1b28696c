/// A set of accepted HTTP status codes, as keepalived's `status_code N|N-M ...` (100..599, default 200-299).
public struct StatusCodeSet: Hashable, Sendable, CustomStringConvertible {
    /// The accepted ranges, as given.
    public private(set) var ranges: [ClosedRange<Int>]

    /// keepalived's default: 200-299.
    public static let `default` = StatusCodeSet(uncheckedRanges: [200...299])

    /// The valid range of a configured status code.
    public static let validCodes: ClosedRange<Int> = 100...599

    private init(uncheckedRanges: [ClosedRange<Int>]) { self.ranges = uncheckedRanges }

    /// Creates a set from ranges, each within 100...599.
    public init(_ ranges: [ClosedRange<Int>]) throws(StatusCodeSetError) {
        for range in ranges
        where !Self.validCodes.contains(range.lowerBound) || !Self.validCodes.contains(range.upperBound) {
            throw StatusCodeSetError(token: "\(range.lowerBound)-\(range.upperBound)")
        }
        self.ranges = ranges
    }

    /// Parses keepalived's tokens (`200`, `300-399`); an invalid token throws and names itself.
    public init(parsing tokens: [String]) throws(StatusCodeSetError) {
        var ranges: [ClosedRange<Int>] = []
        for token in tokens {
            let parts = token.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = Int(parts[0]), parts.count == 1 || Int(parts[1]) != nil else {
                throw StatusCodeSetError(token: token)
            }
            let high = parts.count == 2 ? Int(parts[1]) ?? low : low
            guard low <= high, Self.validCodes.contains(low), Self.validCodes.contains(high) else {
                throw StatusCodeSetError(token: token)
            }
            ranges.append(low...high)
        }
        if ranges.isEmpty { ranges = [200...299] }
        self.ranges = ranges
    }

    /// True when `code` is accepted.
    public func contains(_ code: Int) -> Bool { ranges.contains { $0.contains(code) } }

    /// `200-299` style rendering.
    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: " ")
    }
}

/// A status code token outside 100..599 or not of the form `N` / `N-M`.
public struct StatusCodeSetError: Error, Hashable, Sendable {
    /// The offending token.
    public var token: String
}
