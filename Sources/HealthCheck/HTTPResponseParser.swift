import Crypto
import NIOCore

/// Incremental parser for an HTTP response as keepalived reads it: the header ends at the first `\r\n\r\n`,
/// the status line needs `SP ddd SP`, `Content-Length:` is found case-sensitively, and the MD5 covers the raw
/// body bytes after the header (capped at Content-Length when known; no de-chunking or decompression).
///
/// Bounded: a header longer than `maxHeaderBytes` or a body longer than `maxBodyBytes` is an error.
public struct HTTPResponseParser {
    /// The parsed header fields.
    public struct Head: Hashable, Sendable {
        /// The status code, or nil when the status line is malformed.
        public var statusCode: Int?
        /// The `Content-Length` value, when present.
        public var contentLength: Int?
    }

    /// The bound on header bytes.
    public let maxHeaderBytes: Int
    /// The bound on body bytes.
    public let maxBodyBytes: Int

    private var headerBuffer: [UInt8] = []
    /// The header, once complete.
    public private(set) var head: Head?
    /// Raw body bytes received so far.
    public private(set) var bodyBytes: Int = 0
    private var md5 = Insecure.MD5()
    /// The URL's `regex` test, fed the body (capped at Content-Length) as it arrives; nil when there is none.
    public var regex: BodyRegexStream?

    /// Creates a parser with bounds (64 KiB header, 1 MiB body by default).
    public init(maxHeaderBytes: Int = 64 * 1024, maxBodyBytes: Int = 1 << 20) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// The summary of what was read so far.
    public var summary: HTTPResponseSummary {
        HTTPResponseSummary(head: head, bodyBytes: bodyBytes, digest: digest, regexPasses: regex?.passes)
    }

    /// True once the body is complete by Content-Length (the caller may stop reading early).
    public var isCompleteByLength: Bool {
        guard let length = head?.contentLength else { return false }
        return bodyBytes >= length
    }

    /// Feeds received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(ProbeFailure) {
        if head != nil {
            try consumeBody(bytes)
            return
        }
        let searchFrom = max(0, headerBuffer.count - 3)
        headerBuffer.append(contentsOf: bytes)
        guard let end = Self.headerEnd(in: headerBuffer, from: searchFrom) else {
            if headerBuffer.count > maxHeaderBytes { throw .headerTooLarge(limit: maxHeaderBytes) }
            return
        }
        let header = headerBuffer[..<end]
        head = Head(statusCode: Self.statusCode(in: header), contentLength: Self.contentLength(in: header))
        let rest = Array(headerBuffer[(end + 4)...])
        headerBuffer = []
        try consumeBody(rest)
    }

    private mutating func consumeBody(_ bytes: some Collection<UInt8>) throws(ProbeFailure) {
        guard !bytes.isEmpty else { return }
        let already = bodyBytes
        bodyBytes += bytes.count
        if let length = head?.contentLength {
            let remaining = max(0, length - already)
            if remaining > 0 {
                let kept = Array(bytes.prefix(remaining))
                md5.update(data: kept)
                regex?.feed(kept)
            }
        } else {
            let all = Array(bytes)
            md5.update(data: all)
            regex?.feed(all)
        }
        if bodyBytes > maxBodyBytes { throw .bodyTooLarge(limit: maxBodyBytes) }
    }

    /// The MD5 of the body so far, as 32 lowercase hex digits.
    public var digest: String {
        md5.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func headerEnd(in buffer: [UInt8], from start: Int) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = start
        while index + 3 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    /// keepalived's `extract_status_code`: skip to the first SP (or CR), then exactly three digits followed
    /// by SP. `HTTP/1.1 200\r\n` has no SP after the code and is rejected.
    static func statusCode(in header: ArraySlice<UInt8>) -> Int? {
        var index = header.startIndex
        while index < header.endIndex, header[index] != 32, header[index] != 13 { index += 1 }
        guard index < header.endIndex, header[index] == 32 else { return nil }
        let code = header.index(after: index)
        guard code + 3 < header.endIndex, header[code + 3] == 32 else { return nil }
        var value = 0
        for offset in 0..<3 {
            let byte = header[code + offset]
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// keepalived's case-sensitive `strstr(buffer, "Content-Length:")`, then `strtoul`.
    static func contentLength(in header: ArraySlice<UInt8>) -> Int? {
        let needle = Array("Content-Length:".utf8)
        guard header.count >= needle.count else { return nil }
        var start = header.startIndex
        while start + needle.count <= header.endIndex {
            if header[start..<(start + needle.count)].elementsEqual(needle) {
                var index = start + needle.count
                while index < header.endIndex, header[index] == 32 || header[index] == 9 { index += 1 }
                var value = 0
                var digits = 0
                while index < header.endIndex, (48...57).contains(header[index]), digits < 18 {
                    value = value * 10 + Int(header[index] - 48)
                    digits += 1
                    index += 1
                }
                return digits > 0 ? value : nil
            }
            start += 1
        }
        return nil
    }
}

/// What a finished read produced: the header fields, the body size and its MD5.
public struct HTTPResponseSummary: Hashable, Sendable {
    /// The parsed header, or nil when the connection closed before `\r\n\r\n`.
    public var head: HTTPResponseParser.Head?
    /// Raw body bytes received.
    public var bodyBytes: Int
    /// MD5 of the body (capped at Content-Length), 32 lowercase hex digits.
    public var digest: String
    /// Whether the body passed the URL's `regex` test (nil: no test was run).
    public var regexPasses: Bool?

    /// Judges the response against a URL in keepalived's order: no header → status → digest.
    public func evaluate(against url: HTTPURL) -> ProbeFailure? {
        guard let head else { return .noData }
        guard let status = head.statusCode else { return .malformedStatusLine }
        guard url.statusCodes.contains(status) else { return .statusCode(status) }
        if let expected = url.digest {
            let actual = digest
            if actual != expected { return .digestMismatch(expected: expected, actual: actual) }
        }
        if let regex = url.regex, regexPasses != true {
            return .regexMismatch(pattern: regex.pattern, noMatch: regex.noMatch)
        }
        return nil
    }
}
