/// One alert mail: a subject and a body, capped as keepalived 2.2.7 caps them.
///
/// The constructors for keepalived's own mails (``vrrpInstance(_:_:routerID:)``, ``vrrpGroup(_:_:routerID:)``,
/// ``realServer(_:of:alive:_:routerID:)``, ``virtualServer(_:_:routerID:)``) give keepalived's texts byte for
/// byte, subject prefixed with `[router_id]`. Hand the mail to ``MailAlerter/send(_:)``.
public struct AlertMail: Hashable, Sendable {
    /// keepalived's cap on the subject: `MAX_HEADERS_LENGTH` (256) less the terminating NUL.
    public static let maximumSubjectBytes = 255
    /// keepalived's cap on the body: `MAX_BODY_LENGTH` (512) less the terminating NUL.
    public static let maximumBodyBytes = 511

    /// The `Subject:` header's value: at most ``maximumSubjectBytes`` bytes of UTF-8, on one line.
    public let subject: String
    /// The text of the mail: at most ``maximumBodyBytes`` bytes of UTF-8.
    public let body: String

    /// A mail with the given texts: the subject is cut to ``maximumSubjectBytes`` bytes and the body to
    /// ``maximumBodyBytes``, never inside a character; line breaks in the subject become spaces (one header line).
    public init(subject: String, body: String) {
        let oneLine = String(String.UnicodeScalarView(subject.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 }))
        self.subject = Self.prefix(of: oneLine, maximumBytes: Self.maximumSubjectBytes)
        self.body = Self.prefix(of: body, maximumBytes: Self.maximumBodyBytes)
    }

    /// A mail whose subject is keepalived's `[<router_id>] <subject>`.
    public init(routerID: String, subject: String, body: String) {
        self.init(subject: "[\(routerID)] \(subject)", body: body)
    }

    /// The longest prefix of `text` of at most `maximumBytes` bytes of UTF-8 that ends between characters.
    static func prefix(of text: String, maximumBytes: Int) -> String {
        if text.utf8.count <= maximumBytes { return text }
        var bytes = 0
        var end = text.unicodeScalars.startIndex
        for index in text.unicodeScalars.indices {
            let width = UTF8.width(text.unicodeScalars[index])
            if bytes + width > maximumBytes { break }
            bytes += width
            end = text.unicodeScalars.index(after: index)
        }
        return String(text.unicodeScalars[..<end])
    }
}
