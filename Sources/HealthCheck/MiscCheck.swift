/// A `MISC_CHECK`: a program run directly (no shell). Exit 0 succeeds; with ``dynamic``, exit 2...255
/// succeeds with weight `code - 2`; exit 1, other codes, signals and timeouts fail.
public struct MiscCheck: Hashable, Sendable {
    /// The executable: an absolute path (it is not looked up in PATH; a relative one fails to start).
    public var path: String
    /// Arguments after the program name.
    public var arguments: [String]
    /// `misc_timeout`: SIGTERM to the process group at this deadline, SIGKILL 2 s later. nil: the checker's
    /// `delay_loop` (keepalived uses the virtual server's `delay_loop`; pass it explicitly if it differs).
    public var timeout: Duration?
    /// `misc_dynamic`: exit codes 2...255 set the weight to `code - 2`.
    public var dynamic: Bool
    /// Grace period between SIGTERM and SIGKILL (keepalived: 2 s).
    public var killGrace: Duration
    /// The checker's `user USER [GROUP]`: the user to run as (nil: the runner's default, keepalived's
    /// `script_user`).
    public var user: String?
    /// The group to run as (nil: `user`'s primary group, or the runner's default group without a `user`).
    public var group: String?

    /// Creates a MISC check from a program and its arguments.
    public init(
        path: String,
        arguments: [String] = [],
        timeout: Duration? = nil,
        dynamic: Bool = false,
        killGrace: Duration = .seconds(2),
        user: String? = nil,
        group: String? = nil
    ) {
        self.path = path
        self.arguments = arguments
        self.timeout = timeout
        self.dynamic = dynamic
        self.killGrace = killGrace
        self.user = user
        self.group = group
    }

    /// Creates a MISC check from keepalived's `misc_path "cmd args"` string, split with shell-like quoting
    /// (`'…'`, `"…"`, backslash escapes) but never run through a shell. Returns nil for an empty command.
    public init?(commandLine: String, timeout: Duration? = nil, dynamic: Bool = false) {
        let words = Self.split(commandLine)
        guard let first = words.first else { return nil }
        self.init(path: first, arguments: Array(words.dropFirst()), timeout: timeout, dynamic: dynamic)
    }

    /// Splits a command line into words: blanks separate, `'` and `"` quote, `\` escapes the next character
    /// (outside single quotes).
    public static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'", "\"":
                quote = character
                inWord = true
            case "\\":
                escaped = true
                inWord = true
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
