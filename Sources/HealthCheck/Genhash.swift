import NIOCore
import NIOPosix

/// What ``genhash(host:port:path:tls:virtualHost:httpProtocol:useSNI:sniName:timeout:fwmark:maxBodyBytes:eventLoopGroup:)``
/// fetched.
public struct GenhashResult: Hashable, Sendable {
    /// MD5 of the body (capped at Content-Length), 32 lowercase hex digits: the value for `digest`.
    public var digest: String
    /// The status code, or nil when the status line is malformed (keepalived's genhash prints the digest
    /// whatever the status).
    public var statusCode: Int?
    /// Body bytes received.
    public var bodyBytes: Int

    /// keepalived's genhash output: the digest and a newline.
    public var output: String { digest + "\n" }
}

/// keepalived's genhash message for a failure (printed where keepalived prints it; `lvsd genhash` should
/// exit non-zero, unlike keepalived (#766)).
public func genhashErrorMessage(_ failure: ProbeFailure) -> String {
    switch failure {
    case .noData: "no data received from remote webserver"
    default: "\(failure.keepalivedMessage): \(failure)"
    }
}

/// Fetches a URL exactly as the HTTP_GET / SSL_GET checker does and returns the MD5 of its body, like
/// `genhash -s HOST -p PORT -u URL [-S] [-I] [-V VHOST] [-P 1.0|1.0C|1.1] [-t TIMEOUT] [-m MARK]`
/// (`useSNI` is `-I`: SNI from the virtual host).
///
/// The status code is not judged (keepalived's genhash prints the digest of any response). Throws the
/// transport failure (refused, timeout, TLS, no header, body too large).
public func genhash(
    host: String,
    port: Int,
    path: String,
    tls: Bool = false,
    virtualHost: String? = nil,
    httpProtocol: HTTPProtocolVersion = .http10,
    useSNI: Bool = false,
    sniName: String? = nil,
    timeout: Duration = .seconds(5),
    fwmark: UInt32? = nil,
    maxBodyBytes: Int = 1 << 20,
    eventLoopGroup: (any EventLoopGroup)? = nil
) async throws(ProbeFailure) -> GenhashResult {
    let url: HTTPURL
    do { url = try HTTPURL(path: path, virtualHost: virtualHost) } catch { throw .connectionFailed("\(error)") }
    let check = HTTPCheck(
        target: CheckTarget(host: host, port: port),
        tls: tls,
        urls: [url],
        httpProtocol: httpProtocol,
        enableSNI: useSNI,
        sniName: sniName,
        connectTimeout: timeout,
        maxBodyBytes: maxBodyBytes,
        fwmark: fwmark
    )
    let group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
    let outcome: HTTPFetchOutcome
    do {
        let loop = group.next()
        let tls = TLSContexts()
        outcome = try await loop.flatSubmit { fetchHTTP(check, url: url, tls: tls, on: loop) }.get()
    } catch {
        throw .ioError("\(error)")
    }
    if let failure = outcome.failure { throw failure }
    guard let response = outcome.response, let head = response.head else { throw .noData }
    return GenhashResult(digest: response.digest, statusCode: head.statusCode, bodyBytes: response.bodyBytes)
}
