/// keepalived's line preprocessor: `@ID line` / `@^ID line` conditionals and `$NAME=value` definitions with
/// `$NAME` / `${NAME}` substitution (recursive, bounded), plus the built-ins `${_PWD}`, `${_INSTANCE}`, `${_HASH}`,
/// `${_BANG}`, `${_ENV NAME}` and `${_RANDOM LOW HIGH}`. A definition continues on the next line when it ends with
/// `\`. Definitions are global: they carry across included files.
struct Preprocessor: Sendable {
    /// The config id that `@ID` lines are compared with (keepalived's `-i`, default the short host name).
    var configID: String
    private var definitions: [String: String] = [:]
    private var pending: (name: String, value: String)?
    private static let maximumExpansions = 16
    private static let maximumExpandedLength = 65_536

    init(configID: String?) {
        self.configID = configID ?? Self.shortHostName()
    }

    static func shortHostName() -> String {
        let name = POSIXEnvironment.hostName()
        return String(name.split(separator: ".").first ?? Substring(name))
    }

    /// What ``process(_:file:location:log:)`` made of a physical line.
    enum Output {
        /// The line as it is (no `@`, no `$`, no definition open): most lines.
        case unchanged
        /// Zero or more lines instead of it.
        case replaced([[UInt8]])
    }

    /// Turns one physical line into zero or more lines for the lexer.
    mutating func process(_ line: ArraySlice<UInt8>, file: String, location: ConfigLocation,
                          log: inout DiagnosticLog) -> Output {
        // Fast path, before any copy: nothing to do for most lines.
        if pending == nil && !line.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "$") }) {
            return .unchanged
        }
        return .replaced(expand(line, file: file, location: location, log: &log))
    }

    private mutating func expand(_ line: ArraySlice<UInt8>, file: String, location: ConfigLocation,
                                 log: inout DiagnosticLog) -> [[UInt8]] {
        var text = String(decoding: line, as: UTF8.self)
        if var open = pending {
            var piece = text.trimmingBlanks()
            let continues = piece.hasSuffix("\\")
            if continues { piece.removeLast() }
            open.value += "\n" + piece.trimmingBlanks()
            if continues {
                pending = open
            } else {
                definitions[open.name] = open.value
                pending = nil
            }
            return []
        }
        text = text.trimmingBlanks()
        if text.hasPrefix("@") {
            let word = text.prefix { !$0.isWhitespace }
            let negated = word.hasPrefix("@^")
            let id = word.dropFirst(negated ? 2 : 1)
            let rest = String(text.dropFirst(word.count)).trimmingBlanks()
            guard (id == configID) != negated else { return [] }
            text = rest
        }
        if let definition = Self.definition(in: text) {
            var value = Self.stripComment(definition.value).trimmingBlanks()
            if value.hasSuffix("\\") {
                value.removeLast()
                pending = (definition.name, value.trimmingBlanks())
            } else {
                definitions[definition.name] = value
            }
            return []
        }
        guard text.contains("$") else { return [Array(text.utf8)] }
        var expanded = text
        for _ in 0..<Self.maximumExpansions {
            let next = substitute(expanded, file: file)
            if next == expanded { break }
            if next.utf8.count > Self.maximumExpandedLength {
                log.error(.syntax, location, "line longer than \(Self.maximumExpandedLength) bytes after $ substitution - ignoring it")
                return []
            }
            expanded = next
        }
        if expanded.contains("$"), substitute(expanded, file: file) != expanded {
            log.error(.syntax, location, "definitions nested more than \(Self.maximumExpansions) deep (a recursive $ definition?)")
        }
        return expanded.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }

    /// `$NAME=value` (the name a C identifier).
    private static func definition(in text: String) -> (name: String, value: String)? {
        guard text.hasPrefix("$"), let eq = text.firstIndex(of: "=") else { return nil }
        let name = text[text.index(after: text.startIndex)..<eq]
        guard isIdentifier(name) else { return nil }
        return (String(name), String(text[text.index(after: eq)...]))
    }

    private static func isIdentifier(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// Text before the first `#` or `!` outside double quotes.
    private static func stripComment(_ text: String) -> String {
        var inQuote = false
        var result = ""
        for c in text {
            if c == "\"" { inQuote.toggle() }
            if !inQuote && (c == "#" || c == "!") { break }
            result.append(c)
        }
        return result
    }

    /// One pass of substitution: `${NAME}`, `${_BUILTIN args}` and `$NAME` for defined names.
    private func substitute(_ text: String, file: String) -> String {
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            guard c == "$" else {
                output.append(c)
                index = text.index(after: index)
                continue
            }
            let afterDollar = text.index(after: index)
            if afterDollar < text.endIndex, text[afterDollar] == "{",
               let close = text[afterDollar...].firstIndex(of: "}") {
                let inner = String(text[text.index(after: afterDollar)..<close])
                if let value = resolve(braced: inner, file: file) {
                    output += value
                    index = text.index(after: close)
                    continue
                }
            } else {
                var end = afterDollar
                while end < text.endIndex, text[end] == "_" || (text[end].isASCII && (text[end].isLetter || text[end].isNumber)) {
                    end = text.index(after: end)
                }
                let name = String(text[afterDollar..<end])
                if !name.isEmpty, let value = definitions[name] {
                    output += value
                    index = end
                    continue
                }
            }
            output.append(c)
            index = afterDollar
        }
        return output
    }

    private func resolve(braced inner: String, file: String) -> String? {
        let words = inner.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let name = words.first else { return nil }
        switch name {
        case "_PWD":
            guard let slash = file.lastIndex(of: "/") else { return POSIXEnvironment.currentDirectory() }
            return String(file[..<slash])
        case "_INSTANCE": return configID
        case "_HASH": return "\\#"
        case "_BANG": return "\\!"
        case "_ENV":
            guard words.count > 1 else { return nil }
            return POSIXEnvironment.environment(words[1]) ?? ""
        case "_RANDOM":
            let low = words.count > 1 ? Int(words[1]) ?? 0 : 0
            let high = words.count > 2 ? Int(words[2]) ?? Int(Int32.max) : Int(Int32.max)
            return String(Int.random(in: min(low, high)...max(low, high)))
        default:
            return words.count == 1 ? definitions[name] : nil
        }
    }
}
