import NIOSSL

/// The client TLS contexts SSL_GET uses, made once and shared by every probe: keepalived-compatible
/// (no certificate verification) and, for the lvsd `verify` extension, full verification against the
/// system trust roots.
public final class TLSContexts: Sendable {
    /// Context that accepts any certificate (keepalived never verifies).
    public let unverified: NIOSSLContext?
    /// Context that verifies the chain and the name.
    public let verified: NIOSSLContext?
    /// Why a context could not be made, if one could not.
    public let setupError: String?

    /// Makes both contexts. `trustRoots` overrides the system roots for the verifying one (tests use it).
    public init(trustRoots: NIOSSLTrustRoots = .default) {
        var errors: [String] = []
        var insecure = TLSConfiguration.makeClientConfiguration()
        insecure.certificateVerification = .none
        var secure = TLSConfiguration.makeClientConfiguration()
        secure.certificateVerification = .fullVerification
        secure.trustRoots = trustRoots
        // A probe that ends early closes at once: bound the wait for the peer's close_notify.
        insecure.shutdownTimeout = .milliseconds(200)
        secure.shutdownTimeout = .milliseconds(200)
        do { unverified = try NIOSSLContext(configuration: insecure) } catch {
            unverified = nil
            errors.append("\(error)")
        }
        do { verified = try NIOSSLContext(configuration: secure) } catch {
            verified = nil
            errors.append("\(error)")
        }
        setupError = errors.isEmpty ? nil : errors.joined(separator: "; ")
    }

    func context(verify: Bool) -> NIOSSLContext? { verify ? verified : unverified }
}
