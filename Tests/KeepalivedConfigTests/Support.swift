import Foundation
import IPVSKit
import Testing
@testable import KeepalivedConfig

/// Parses `text` as the file `test.conf`.
func parse(_ text: String, strict: Bool = false, file: String = "test.conf") -> ParseResult {
    KeepalivedConfigParser.parse(text: text, file: file, options: ParseOptions(strict: strict))
}

/// The only virtual server of `text`, recording an issue when there is not exactly one.
func singleVS(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> VirtualServer? {
    let result = parse(text)
    #expect(result.configuration.virtualServers.count == 1, "\(result.diagnostics)", sourceLocation: sourceLocation)
    return result.configuration.virtualServers.first
}

/// A minimal TCP DR virtual server wrapping `body` (real-server and checker lines).
func vsConfig(_ vsLines: String = "", _ body: String = "real_server 10.0.0.2 80 {\n}") -> String {
    """
    virtual_server 10.0.0.1 80 {
        lvs_method DR
        protocol TCP
    \(vsLines)
    \(body)
    }
    """
}

extension ParseResult {
    /// Diagnostics whose message contains `text`.
    func messages(containing text: String) -> [Diagnostic] { diagnostics.filter { $0.message.contains(text) } }
}

func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { fatalError("bad test address \(text)") }
    return address
}

/// The fixtures directory, `Tests/KeepalivedConfigFixtures`, located from this file's path. It sits outside the
/// test target's directory so that SwiftPM does not treat the files as unhandled resources.
let fixturesDirectory: String = {
    let thisFile = #filePath
    guard let slash = thisFile.lastIndex(of: "/") else { return "Tests/KeepalivedConfigFixtures" }
    let targetDirectory = thisFile[..<slash]
    guard let parentSlash = targetDirectory.lastIndex(of: "/") else { return "Tests/KeepalivedConfigFixtures" }
    return String(targetDirectory[..<parentSlash]) + "/KeepalivedConfigFixtures"
}()

/// The shared configurations: copies of /work/shared/configs kept under the fixtures directory, so the tests do not
/// depend on /work/shared.
let sharedConfigDirectory: String = fixturesDirectory + "/shared"

/// A fresh temporary directory.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "lvsd-conf-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}
