import Director
import HealthCheck
import KeepalivedConfig

/// Reads keepalived.conf for lvsd: the parser's diagnostics, then what only lvsd's checkers can judge (every
/// HTTP_GET/SSL_GET `regex` compiled by PCRE2), so `lvsd -t`, start-up and reloads report them with file:line.
public enum ConfigurationReader {
    /// Parses `file` and adds the checkers' diagnostics.
    public static func parse(file: String, options: ParseOptions = ParseOptions()) -> ParseResult {
        var result = KeepalivedConfigParser.parse(file: file, options: options)
        result.diagnostics += regexDiagnostics(for: result.configuration)
        return result
    }

    /// An error for each `regex` PCRE2 does not compile (keepalived logs `Invalid regex` and runs a broken
    /// checker), a warning for each `regex_options` name keepalived does not know (it ignores them).
    public static func regexDiagnostics(for configuration: KeepalivedConfiguration) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for vs in configuration.virtualServers {
            for rs in vs.realServers {
                for checker in rs.checkers {
                    for url in checker.http?.urls ?? [] where url.regex != nil {
                        let at = url.regexLocation ?? url.location
                        for name in url.regexOptions where BodyRegex.optionBits[name] == nil {
                            out.append(Diagnostic(.warning, .invalidValue, at: at, "unknown regex_options '\(name)' - ignored"))
                        }
                        do throws(HTTPURLError) {
                            _ = try KeepalivedSetup.bodyRegex(url)
                        } catch {
                            if case .invalidRegex(let pattern, let message, let offset) = error {
                                out.append(Diagnostic(.error, .invalidValue, at: at,
                                                      "invalid regex '\(pattern)' at offset \(offset): \(message)"))
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
