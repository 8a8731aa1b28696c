import NIOSSL

/// The client TLS contexts SSL_GET uses, made once and shared by every probe: keepalived-compatible
/// (no certificate verification) and, for the lvsd `verify` extension, full verification.
///
/// keepalived's global `SSL { certificate, key, password, ca }` block maps to
/// ``load(certificateFile:keyFile:password:caFile:)``: the client certificate is presented by both contexts,
/// and the CA file becomes the verifying context's trust roots.
public final class TLSContexts: Sendable {
    /// Context that accepts any certificate (keepalived never verifies).
    public let unverified: NIOSSLContext?
    /// Context that verifies the chain and the name.
    public let verified: NIOSSLContext?
    /// Why a context could not be made, if one could not.
    public let setupError: String?

    /// Makes both contexts without a client certificate. `trustRoots` sets the verifying context's roots
    /// (the system's by default; tests pass their own).
    public convenience init(trustRoots: NIOSSLTrustRoots = .default) {
        self.init(trustRoots: trustRoots, certificateChain: [], privateKey: nil)
    }

    /// Loads keepalived's global `SSL { }` settings: a client certificate (PEM), its key (PEM, optionally
    /// encrypted with `password`) and a CA file (PEM) used as trust roots when verification is on.
    public static func load(
        certificateFile: String?,
        keyFile: String?,
        password: String? = nil,
        caFile: String? = nil
    ) throws(TLSSetupError) -> TLSContexts {
        var chain: [NIOSSLCertificateSource] = []
        var key: NIOSSLPrivateKeySource?
        do {
            if let certificateFile {
                chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            }
            if let keyFile {
                if let password {
                    let bytes = Array(password.utf8)
                    key = .privateKey(
                        try NIOSSLPrivateKey(file: keyFile, format: .pem) { setter in setter(bytes) }
                    )
                } else {
                    key = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
                }
            }
        } catch {
            throw TLSSetupError(message: "\(error)")
        }
        let roots: NIOSSLTrustRoots = caFile.map { .file($0) } ?? .default
        let contexts = TLSContexts(trustRoots: roots, certificateChain: chain, privateKey: key)
        if let problem = contexts.setupError { throw TLSSetupError(message: problem) }
        return contexts
    }

    private init(
        trustRoots: NIOSSLTrustRoots,
        certificateChain: [NIOSSLCertificateSource],
        privateKey: NIOSSLPrivateKeySource?
    ) {
        var errors: [String] = []
        var insecure = TLSConfiguration.makeClientConfiguration()
        insecure.certificateVerification = .none
        var secure = TLSConfiguration.makeClientConfiguration()
        secure.certificateVerification = .fullVerification
        secure.trustRoots = trustRoots
        insecure.certificateChain = certificateChain
        insecure.privateKey = privateKey
        secure.certificateChain = certificateChain
        secure.privateKey = privateKey
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

/// The TLS client settings could not be loaded.
public struct TLSSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}
