/// A keyword line and, when a `{` followed it, the lines of its block.
struct ConfigNode: Sendable {
    /// The keyword.
    var keyword: Token
    /// The words after the keyword.
    var arguments: [Token]
    /// The text after the keyword as written, for shell-like re-quoting.
    var rest: String
    /// The block's lines, or `nil` when no `{` followed.
    var block: [ConfigNode]?

    var location: SourceLocation { keyword.location }
    var name: String { keyword.text }
}

/// Builds the block structure from logical lines: a `{` opens the block of the line before it, `}` closes the
/// innermost open block. Stray and missing braces are errors; the structure stays balanced whatever the input.
enum BlockTree {
    static func build(_ lines: [LogicalLine], log: inout DiagnosticLog) -> [ConfigNode] {
        // Each level holds its nodes and, for nested levels, the location of its `{`.
        var levels: [(nodes: [ConfigNode], opened: SourceLocation?)] = [([], nil)]
        var lastCanOpen = false
        for line in lines {
            if line.isOpenBrace {
                let top = levels.count - 1
                if lastCanOpen, !levels[top].nodes.isEmpty, levels[top].nodes[levels[top].nodes.count - 1].block == nil {
                    levels.append(([], line.location))
                } else {
                    log.error(.syntax, line.location, "unexpected '{' (no keyword before it to own the block)")
                    // Keep the braces balanced: parse the anonymous block and drop it.
                    levels.append(([], line.location))
                    levels[levels.count - 1].nodes.append(anonymousMarker(at: line.location))
                }
                lastCanOpen = false
                continue
            }
            if line.isCloseBrace {
                if levels.count == 1 {
                    log.error(.syntax, line.location, "unexpected '}' (no block is open)")
                } else {
                    close(&levels)
                }
                lastCanOpen = false
                continue
            }
            let node = ConfigNode(keyword: line.tokens[0], arguments: Array(line.tokens.dropFirst()), rest: line.rest,
                                  block: nil)
            levels[levels.count - 1].nodes.append(node)
            lastCanOpen = true
        }
        while levels.count > 1 {
            let opened = levels[levels.count - 1].opened ?? SourceLocation(file: "?", line: 0)
            log.error(.syntax, opened, "missing '}' for the block opened here")
            close(&levels)
        }
        return levels[0].nodes
    }

    private static let anonymousKeyword = "\u{0}anonymous-block"

    private static func anonymousMarker(at location: SourceLocation) -> ConfigNode {
        ConfigNode(keyword: Token(text: anonymousKeyword, raw: "{", location: location), arguments: [], rest: "",
                   block: nil)
    }

    private static func close(_ levels: inout [(nodes: [ConfigNode], opened: SourceLocation?)]) {
        let finished = levels.removeLast()
        // An orphan block was already reported; its contents are dropped.
        if finished.nodes.first?.keyword.text == anonymousKeyword { return }
        let top = levels.count - 1
        let owner = levels[top].nodes.count - 1
        if owner >= 0 { levels[top].nodes[owner].block = finished.nodes }
    }
}
