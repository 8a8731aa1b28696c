/// One request on the control socket: the single line a client sends.
///
/// | Line | Request |
/// | --- | --- |
/// | `status` | ``status(_:)`` with ``StatusFormat/text`` |
/// | `status json` | ``status(_:)`` with ``StatusFormat/json`` |
/// | `reload` | ``reload`` (as SIGHUP) |
/// | `drain` | ``drain`` (withdraw every announcement) |
/// | `drain status` | ``drainStatus`` (connections left to the announced VIPs) |
/// | `undrain` | ``undrain`` |
/// | `help` | ``help`` (answered by ``ControlServer`` itself) |
///
/// Words are separated by spaces or tabs; case matters; a trailing `\r` is ignored.
public enum ControlRequest: Sendable, Hashable {
    /// The status dump, in the given format.
    case status(StatusFormat)
    /// Re-read the configuration and apply the difference, as on SIGHUP.
    case reload
    /// Withdraw every announcement of the director (ECMP tier) and keep them withdrawn until ``undrain``.
    case drain
    /// The connections still open to the VIPs of `announce` virtual servers: the reply is `connections N`.
    case drainStatus
    /// Announce again what is healthy.
    case undrain
    /// The list of requests.
    case help

    /// The requests a control line can hold, for `help` replies and error messages.
    public static let helpText = """
        lvsd control socket: send one line, read the reply until the connection closes.
          status         the status dump as text
          status json    the status dump as JSON (see docs/lvsd-status.md)
          reload         re-read the configuration and apply the difference (as SIGHUP)
          drain          withdraw every announcement (ECMP director tier) until undrain
          drain status   'connections N': connections still open to the announced VIPs
          undrain        announce again what is healthy
          help           this list

        """

    /// Parses a request line (without its newline).
    ///
    /// - Throws: ``ControlRequestError`` for an empty line, an unknown command or unexpected arguments.
    public init(line: String) throws(ControlRequestError) {
        var text = Substring(line)
        if text.last == "\r" { text = text.dropLast() }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let command = words.first else {
            throw ControlRequestError.emptyRequest
        }
        let arguments = Array(words.dropFirst())
        switch command {
        case "status":
            switch arguments {
            case []: self = .status(.text)
            case ["json"]: self = .status(.json)
            case ["text"]: self = .status(.text)
            default: throw ControlRequestError.unexpectedArguments(command: command, arguments: arguments)
            }
        case "reload":
            guard arguments.isEmpty else {
                throw ControlRequestError.unexpectedArguments(command: command, arguments: arguments)
            }
            self = .reload
        case "drain":
            switch arguments {
            case []: self = .drain
            case ["status"]: self = .drainStatus
            default: throw ControlRequestError.unexpectedArguments(command: command, arguments: arguments)
            }
        case "undrain":
            guard arguments.isEmpty else {
                throw ControlRequestError.unexpectedArguments(command: command, arguments: arguments)
            }
            self = .undrain
        case "help":
            guard arguments.isEmpty else {
                throw ControlRequestError.unexpectedArguments(command: command, arguments: arguments)
            }
            self = .help
        default:
            throw ControlRequestError.unknownCommand(command)
        }
    }

    /// The line that encodes this request (without the newline).
    public var line: String {
        switch self {
        case .status(.text): "status"
        case .status(.json): "status json"
        case .reload: "reload"
        case .drain: "drain"
        case .drainStatus: "drain status"
        case .undrain: "undrain"
        case .help: "help"
        }
    }
}

/// The format of a status reply.
public enum StatusFormat: String, Sendable, Hashable, CaseIterable {
    /// Aligned text for people (``StatusReport/renderText()``).
    case text
    /// JSON for programs (``StatusReport/renderJSON()``).
    case json
}

/// Why a control line is not a request.
public enum ControlRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The line was empty or blank.
    case emptyRequest
    /// The first word is not a known command.
    case unknownCommand(String)
    /// The command does not take these arguments.
    case unexpectedArguments(command: String, arguments: [String])
    /// The line exceeded the server's limit before its newline.
    case tooLong(limit: Int)
    /// The line is not valid UTF-8.
    case notUTF8

    /// A one-line message for the client.
    public var description: String {
        switch self {
        case .emptyRequest:
            "empty request (try 'help')"
        case .unknownCommand(let command):
            "unknown command '\(Self.printable(command))' (try 'help')"
        case .unexpectedArguments(let command, let arguments):
            "'\(command)' does not take '\(Self.printable(arguments.joined(separator: " ")))' (try 'help')"
        case .tooLong(let limit):
            "request longer than \(limit) bytes"
        case .notUTF8:
            "request is not UTF-8 text"
        }
    }

    /// Echoed input, shortened and with control characters replaced, so a reply stays one readable line.
    private static func printable(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return cleaned.count > 40 ? String(cleaned.prefix(40)) + "..." : cleaned
    }
}
