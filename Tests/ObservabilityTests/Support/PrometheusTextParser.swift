/// A strict parser of the Prometheus text exposition format 0.0.4, for checking ``LvsdMetrics/render()``.
///
/// Every line must be a `# HELP`, a `# TYPE` or a sample `name{label="value",...} number`; label values are
/// unescaped (`\\`, `\"`, `\n`). A line that is none of these fails the parse, naming the line.
struct PrometheusText {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        var line: String
        var reason: String
        var description: String { "\(reason): \(line)" }
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]
    var help: [String: String] = [:]

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { throw ParseError(line: String(line), reason: "HELP without text") }
                self.help[String(rest[..<space])] = String(rest[rest.index(after: space)...])
            } else if line.hasPrefix("# TYPE ") {
                let words = line.dropFirst(7).split(separator: " ")
                guard words.count == 2, ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[1]) else {
                    throw ParseError(line: String(line), reason: "bad TYPE")
                }
                self.types[String(words[0])] = String(words[1])
            } else if line.hasPrefix("#") {
                continue
            } else {
                self.samples.append(try Self.sample(Substring(line)))
            }
        }
    }

    /// The value of the one sample with this name and exactly these labels.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matches = self.samples.filter { $0.name == name && $0.labels == labels }
        return matches.count == 1 ? matches[0].value : nil
    }

    /// Every sample with this name.
    func all(_ name: String) -> [Sample] {
        self.samples.filter { $0.name == name }
    }

    private static func sample(_ line: Substring) throws -> Sample {
        var index = line.startIndex
        func fail(_ reason: String) -> ParseError { ParseError(line: String(line), reason: reason) }
        let nameStart = index
        while index < line.endIndex, line[index].isLetter || line[index].isNumber || line[index] == "_" || line[index] == ":" {
            index = line.index(after: index)
        }
        let name = String(line[nameStart..<index])
        guard let first = name.first, !first.isNumber else { throw fail("bad metric name") }
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while index < line.endIndex, line[index] != "}" {
                let labelStart = index
                while index < line.endIndex, line[index].isLetter || line[index].isNumber || line[index] == "_" {
                    index = line.index(after: index)
                }
                let label = String(line[labelStart..<index])
                guard !label.isEmpty, index < line.endIndex, line[index] == "=" else { throw fail("bad label name") }
                index = line.index(after: index)
                guard index < line.endIndex, line[index] == "\"" else { throw fail("label value not quoted") }
                index = line.index(after: index)
                var value = ""
                while true {
                    guard index < line.endIndex else { throw fail("unterminated label value") }
                    let c = line[index]
                    if c == "\"" { break }
                    if c == "\\" {
                        index = line.index(after: index)
                        guard index < line.endIndex else { throw fail("dangling escape") }
                        switch line[index] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape")
                        }
                    } else {
                        value.append(c)
                    }
                    index = line.index(after: index)
                }
                index = line.index(after: index)
                guard labels.updateValue(value, forKey: label) == nil else { throw fail("duplicate label") }
                if index < line.endIndex, line[index] == "," { index = line.index(after: index) }
            }
            guard index < line.endIndex else { throw fail("unterminated label set") }
            index = line.index(after: index)
        }
        guard index < line.endIndex, line[index] == " " else { throw fail("no space before value") }
        let valueText = line[line.index(after: index)...]
        let value: Double? = switch valueText {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(valueText)
        }
        guard let value else { throw fail("bad value") }
        return Sample(name: name, labels: labels, value: value)
    }
}
