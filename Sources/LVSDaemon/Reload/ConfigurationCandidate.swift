import Director
import KeepalivedConfig

/// A parsed, error-free configuration on its way in: read once, then checked by every service before any applies
/// it.
public struct ConfigurationCandidate: Sendable {
    /// The file it was read from.
    public var file: String
    /// The configuration.
    public var configuration: KeepalivedConfiguration
    /// The director's view of it (virtual servers and checks), built once for every service.
    public var setup: KeepalivedSetup

    /// Builds the candidate (and its ``setup``) from a configuration.
    public init(file: String, configuration: KeepalivedConfiguration) {
        self.init(file: file, configuration: configuration, setup: KeepalivedSetup(configuration: configuration))
    }

    /// A candidate whose setup is already built (the first configuration, which programmed the table).
    public init(file: String, configuration: KeepalivedConfiguration, setup: KeepalivedSetup) {
        self.file = file
        self.configuration = configuration
        self.setup = setup
    }
}

/// A service that takes part in configuration changes: every participant checks a candidate before any applies
/// it, so a configuration one of them cannot take is refused everywhere.
public protocol ConfigurationParticipant: Sendable {
    /// A short name for log lines (`director`, `metrics`, ...).
    var participantName: String { get }

    /// The reasons this service cannot take `candidate` (empty: it can). Changes nothing.
    func check(_ candidate: ConfigurationCandidate) async -> [String]

    /// Makes `candidate` this service's configuration. A participant whose apply can still fail (the kernel may
    /// refuse a change) must change nothing when it throws; ``ConfigurationService`` then re-applies the running
    /// configuration to the participants that had already taken the candidate.
    func apply(_ candidate: ConfigurationCandidate) async throws(ReloadRefusal)

    /// Told of every refused reload, after the refusal (nothing was applied).
    func reloadRefused(_ reasons: [String]) async
}

extension ConfigurationParticipant {
    /// Nothing to do by default.
    public func reloadRefused(_ reasons: [String]) async {}
}

/// Why a service refused a configuration at apply time.
public struct ReloadRefusal: Error, Sendable, CustomStringConvertible {
    /// The reasons, one per line.
    public var reasons: [String]
    /// Creates a refusal.
    public init(_ reasons: [String]) { self.reasons = reasons }
    public var description: String { reasons.joined(separator: "; ") }
}
