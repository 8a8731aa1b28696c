#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension StatusReport {
    /// The encoder behind ``renderJSON()``: snake_case keys, sorted, ISO 8601 dates, pretty-printed.
    public static func makeJSONEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The decoder that reads ``renderJSON()``'s output back.
    public static func makeJSONDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// The snapshot as JSON with stable snake_case keys (see `docs/lvsd-status.md`), ending in a newline.
    ///
    /// Absent optional values are left out rather than written as `null`.
    public func renderJSON() -> String {
        // Encoding plain structs of strings, numbers, booleans and dates cannot fail; should it, say so in JSON.
        do {
            let data = try Self.makeJSONEncoder().encode(self)
            return String(decoding: data, as: UTF8.self) + "\n"
        } catch {
            return #"{"error": "status could not be encoded"}"# + "\n"
        }
    }

    /// Reads a snapshot from ``renderJSON()``'s output.
    ///
    /// - Throws: `DecodingError` when the text is not a status report.
    public static func decodeJSON(_ text: String) throws -> StatusReport {
        try makeJSONDecoder().decode(StatusReport.self, from: Data(text.utf8))
    }
}
