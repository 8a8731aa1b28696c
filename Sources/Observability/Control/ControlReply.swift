/// The answer to a ``ControlRequest``: a success or an error, and text for the client to print.
///
/// On the wire the reply is a status line, `ok`, `error` or `denied`, followed by the body; the server closes
/// the connection after it.
public struct ControlReply: Sendable, Hashable {
    /// How the request went.
    public enum Status: String, Sendable, Hashable {
        /// The request was carried out; the body is its output.
        case ok
        /// The request failed or was invalid; the body says why.
        case error
        /// The peer may not use the control socket (its uid is not allowed); the body says why.
        case denied
    }

    /// How the request went.
    public var status: Status
    /// The output or the error message; the text status ends in a newline.
    public var body: String

    /// Creates a reply.
    public init(status: Status, body: String) {
        self.status = status
        self.body = body
    }

    /// A successful reply with this output.
    public static func success(_ body: String) -> ControlReply {
        ControlReply(status: .ok, body: body)
    }

    /// An error reply with this message (a newline is added when missing).
    public static func failure(_ message: String) -> ControlReply {
        ControlReply(status: .error, body: message.hasSuffix("\n") ? message : message + "\n")
    }

    /// Whether the request was carried out.
    public var isSuccess: Bool { self.status == .ok }

    /// The bytes sent on the wire: the status line, then the body.
    var wireText: String { self.status.rawValue + "\n" + self.body }

    /// Parses the bytes read from the server up to end of file.
    init?(wireText: String) {
        guard let newline = wireText.firstIndex(of: "\n"),
            let status = Status(rawValue: String(wireText[..<newline]))
        else { return nil }
        self.init(status: status, body: String(wireText[wireText.index(after: newline)...]))
    }
}
