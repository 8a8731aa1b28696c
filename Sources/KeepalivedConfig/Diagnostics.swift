/// Where something was written in a configuration file: the file's path (as given or as an include resolved it)
/// and a 1-based line number.
public struct ConfigLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file's path.
    public var file: String
    /// The 1-based line number.
    public var line: Int

    /// Creates a location.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `file:line`, or just `file` for line 0 (the file as a whole, e.g. when it cannot be opened).
    public var description: String { line > 0 ? "\(file):\(line)" : file }
}

/// One message about a configuration: a warning or an error, with the file and line it concerns.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Hashable, Sendable {
        /// The configuration is usable; something was defaulted, ignored or is deprecated.
        case warning
        /// The configuration is invalid; `lvsd -t` fails.
        case error
    }

    /// What a diagnostic is about, so callers can filter without matching message text.
    public enum Kind: String, Hashable, Sendable {
        /// A keyword the grammar does not know (its block, if any, was skipped).
        case unknownKeyword
        /// A value that does not parse or is out of range.
        case invalidValue
        /// A missing argument, brace or block, or another structural problem.
        case syntax
        /// A deprecated alias (`lb_algo`, `lb_kind`, `nb_get_retry`, ...) was used.
        case deprecated
        /// An obsolete keyword (`nat_mask`) was ignored.
        case obsolete
        /// A section or setting that lvsd parses but does not act upon.
        case notActedUpon
        /// A value was defaulted (`lvs_method` → NAT, `protocol` → UDP, ...).
        case defaulted
        /// A semantic rule changed or dropped part of the configuration (ports, duplicates, empty services...).
        case adjusted
        /// A problem with an `include` directive.
        case include
    }

    /// Warning or error.
    public var severity: Severity
    /// The category.
    public var kind: Kind
    /// Where it applies.
    public var location: ConfigLocation
    /// The message, without location or severity.
    public var message: String

    /// Creates a diagnostic.
    public init(_ severity: Severity, _ kind: Kind, at location: ConfigLocation, _ message: String) {
        self.severity = severity
        self.kind = kind
        self.location = location
        self.message = message
    }

    /// `FILE:LINE: warning: message`.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }

    /// The line `lvsd -t` prints: `lvsd: FILE:LINE: error: message`.
    public func formatted(program: String = "lvsd") -> String { "\(program): \(description)" }
}

/// Collects diagnostics while a configuration is read.
struct DiagnosticLog: Sendable {
    /// Whether unknown keywords are errors (under `-t`) rather than warnings.
    var strict: Bool
    private(set) var entries: [Diagnostic] = []
    /// Kinds of ignored sections already reported, so each is reported once.
    var reportedOnce: Set<String> = []

    init(strict: Bool) { self.strict = strict }

    mutating func warning(_ kind: Diagnostic.Kind, _ location: ConfigLocation, _ message: String) {
        entries.append(Diagnostic(.warning, kind, at: location, message))
    }

    mutating func error(_ kind: Diagnostic.Kind, _ location: ConfigLocation, _ message: String) {
        entries.append(Diagnostic(.error, kind, at: location, message))
    }

    /// An unknown keyword: a warning, or an error in strict mode.
    mutating func unknownKeyword(_ location: ConfigLocation, _ message: String) {
        entries.append(Diagnostic(strict ? .error : .warning, .unknownKeyword, at: location, message))
    }

    /// Reports `message` only the first time `key` is seen.
    mutating func once(_ key: String, _ kind: Diagnostic.Kind, _ location: ConfigLocation, _ message: String) {
        guard reportedOnce.insert(key).inserted else { return }
        warning(kind, location, message)
    }

    mutating func append(contentsOf other: [Diagnostic]) { entries.append(contentsOf: other) }
}

/// Keeps a value (a source position) out of its owner's `==` and `hash(into:)`.
///
/// Configuration values compare by what they configure, not by where they were written: a reload that only moves
/// a block to other lines yields equal values, so the daemon can keep checker state for unchanged checks.
@propertyWrapper
public struct ExcludedFromEquality<Value: Sendable>: Hashable, Sendable {
    /// The value.
    public var wrappedValue: Value
    /// Wraps a value.
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
    /// Always equal.
    public static func == (lhs: Self, rhs: Self) -> Bool { true }
    /// Contributes nothing to the hash.
    public func hash(into hasher: inout Hasher) {}
}
