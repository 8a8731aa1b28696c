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

    var location: ConfigLocation { keyword.location }
    var name: String { keyword.text }
}

/// Builds the block structure from logical lines: a `{` opens the block of the line before it, `}` closes the
/// innermost open block. Stray and missing braces are errors; the structure stays balanced whatever the input.
enum BlockTree {
    /// The deepest nesting kept (keepalived's grammar needs 5 levels).
    static let maximumDepth = 32

    static func build(_ lines: [LogicalLine], log: inout DiagnosticLog) -> [ConfigNode] {
        // Each level holds its nodes and, for nested levels, the location of its `{`.
        var levels: [(nodes: [ConfigNode], opened: ConfigLocation?)] = [([], nil)]
        var lastCanOpen = false
        // Blocks nested deeper than `maximumDepth` are counted, not kept (bounded memory and recursion).
        var skippedDepth = 0
        for line in lines {
            if skippedDepth > 0 {
                if line.isOpenBrace { skippedDepth += 1 } else if line.isCloseBrace { skippedDepth -= 1 }
                continue
            }
            if line.isOpenBrace && levels.count > maximumDepth {
                log.error(.syntax, line.location, "blocks nested more than \(maximumDepth) deep - skipping this block")
                skippedDepth = 1
                lastCanOpen = false
                continue
            }
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
            let node = ConfigNode(keyword: line.keyword, arguments: line.arguments, rest: line.rest,
                                  block: nil)
            levels[levels.count - 1].nodes.append(node)
            lastCanOpen = true
        }
        if skippedDepth > 0, let last = lines.last {
            log.error(.syntax, last.location, "missing '}' at the end of the file (\(skippedDepth) deeply nested blocks open)")
        }
        while levels.count > 1 {
            let opened = levels[levels.count - 1].opened ?? ConfigLocation(file: "?", line: 0)
            log.error(.syntax, opened, "missing '}' for the block opened here")
            close(&levels)
        }
        return levels[0].nodes
    }

    private static let anonymousKeyword = "\u{0}anonymous-block"

    private static func anonymousMarker(at location: ConfigLocation) -> ConfigNode {
        ConfigNode(keyword: Token(text: anonymousKeyword, raw: "{", location: location), arguments: [], rest: "",
                   block: nil)
    }

    private static func close(_ levels: inout [(nodes: [ConfigNode], opened: ConfigLocation?)]) {
        let finished = levels.removeLast()
        // An orphan block was already reported; its contents are dropped.
        if finished.nodes.first?.keyword.text == anonymousKeyword { return }
        let top = levels.count - 1
        let owner = levels[top].nodes.count - 1
        if owner >= 0 { levels[top].nodes[owner].block = finished.nodes }
    }
}
