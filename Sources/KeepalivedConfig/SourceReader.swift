#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads configuration files into logical lines, expanding `include` directives in place.
///
/// `include GLOB` may appear on any line, inside or outside blocks. Relative patterns resolve against the
/// directory of the including file; globs and `{a,b}` alternatives are expanded (in sorted order). A pattern that
/// matches nothing is a warning for `include` (keepalived never fails on it) and an error for the strict variants
/// (`includer`, `includem`, `includew`, `includeb`, `includea`). Include cycles and nesting deeper than
/// ``maximumDepth`` are errors.
struct SourceReader {
    static let maximumDepth = 32
    static let includeKeywords: Set<String> = ["include", "includer", "includem", "includew", "includeb", "includea"]

    var log: DiagnosticLog
    var preprocessor: Preprocessor
    /// The files read, in the order first read (for sorting diagnostics).
    private(set) var fileOrder: [String: Int] = [:]
    private var stack: [String] = []

    init(log: DiagnosticLog, configID: String? = nil) {
        self.log = log
        self.preprocessor = Preprocessor(configID: configID)
    }

    /// Reads the file at `path`; a file that cannot be read is an error at `path:0` (or at the include line).
    mutating func read(path: String, from includer: ConfigLocation? = nil) -> [LogicalLine] {
        switch POSIXEnvironment.contents(ofFile: path) {
        case .success(let bytes):
            return read(bytes: bytes, path: path)
        case .failure(let failure):
            log.error(.include, includer ?? ConfigLocation(file: path, line: 0),
                      "cannot open '\(path)': \(failure.explanation)")
            return []
        }
    }

    /// Reads `bytes` as the contents of a file named `path` (which includes resolve against).
    mutating func read(bytes: [UInt8], path: String) -> [LogicalLine] {
        let identity = Self.canonicalPath(path)
        if stack.contains(identity) {
            log.error(.include, ConfigLocation(file: path, line: 0), "include cycle: '\(path)' includes itself")
            return []
        }
        stack.append(identity)
        defer { stack.removeLast() }
        if fileOrder[path] == nil { fileOrder[path] = fileOrder.count }
        let lines = Lexer.lines(of: bytes, file: path, preprocessor: &preprocessor, log: &log)
        func isInclude(_ line: LogicalLine) -> Bool {
            let first = line.keyword
            return !first.wasQuoted && first.text.utf8.count >= 7 && Self.includeKeywords.contains(first.text)
        }
        // Most files include nothing: their lines are the output as they are, not copied line by line.
        guard lines.contains(where: isInclude) else { return lines }
        var output: [LogicalLine] = []
        output.reserveCapacity(lines.count)
        for line in lines {
            guard isInclude(line) else {
                output.append(line)
                continue
            }
            output.append(contentsOf: include(line, from: path))
        }
        return output
    }

    private mutating func include(_ line: LogicalLine, from path: String) -> [LogicalLine] {
        let keyword = line.keyword.text
        let patterns = line.arguments
        guard !patterns.isEmpty else {
            log.error(.syntax, line.location, "'\(keyword)' needs a file name or pattern")
            return []
        }
        guard stack.count < Self.maximumDepth else {
            log.error(.include, line.location, "includes nested more than \(Self.maximumDepth) deep - ignoring '\(keyword)'")
            return []
        }
        var output: [LogicalLine] = []
        for pattern in patterns {
            let resolved = Self.resolve(pattern.text, relativeTo: path)
            let files = Self.expandGlob(resolved)
            if files.isEmpty {
                if keyword == "include" {
                    log.warning(.include, line.location, "include pattern '\(pattern.text)' matched no files")
                } else {
                    log.error(.include, line.location, "\(keyword) pattern '\(pattern.text)' matched no files")
                }
                continue
            }
            for file in files { output.append(contentsOf: read(path: file, from: line.location)) }
        }
        return output
    }

    /// Resolves `pattern` against the directory of `includer` unless it is absolute.
    static func resolve(_ pattern: String, relativeTo includer: String) -> String {
        if pattern.hasPrefix("/") { return pattern }
        guard let slash = includer.lastIndex(of: "/") else { return pattern }
        let directory = includer[..<slash]
        return directory.isEmpty ? "/" + pattern : "\(directory)/\(pattern)"
    }

    /// Expands a glob pattern with `{a,b}` alternatives, returning the matching paths in sorted order.
    static func expandGlob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        let status = glob(pattern, GLOB_BRACE, nil, &result)
        guard status == 0, let paths = result.gl_pathv else { return [] }
        var files: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let entry = paths[index] { files.append(String(cString: entry)) }
        }
        return files.sorted()
    }

    /// The path with symbolic links and `.`/`..` resolved, for cycle detection.
    static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
