import Foundation
import Testing
@testable import KeepalivedConfig

@Suite struct IncludeTests {
    @Test func relativeGlobIncludesInSortedOrderWithFileAndLine() throws {
        let dir = try makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/conf.d", withIntermediateDirectories: true)
        try write("global_defs {\n  router_id main\n}\ninclude conf.d/*.conf\n", to: dir + "/keepalived.conf")
        try write("\n\nvirtual_server 10.0.0.2 80 {\n protocol TCP\n lvs_method DR\n real_server 10.0.1.1 80 {\n }\n}\n",
                  to: dir + "/conf.d/b.conf")
        try write("virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method DR\n bogus_keyword 1\n real_server 10.0.1.1 80 {\n }\n}\n",
                  to: dir + "/conf.d/a.conf")
        try write("not included", to: dir + "/conf.d/c.txt")
        let result = KeepalivedConfigParser.parse(file: dir + "/keepalived.conf")
        let vss = result.configuration.virtualServers
        #expect(vss.count == 2)
        #expect(vss.map(\.address) == [.endpoint(ip("10.0.0.1"), port: 80), .endpoint(ip("10.0.0.2"), port: 80)])
        #expect(vss[0].location == ConfigLocation(file: dir + "/conf.d/a.conf", line: 1))
        #expect(vss[1].location == ConfigLocation(file: dir + "/conf.d/b.conf", line: 3))
        let unknown = result.messages(containing: "bogus_keyword")
        #expect(unknown.count == 1)
        #expect(unknown.first?.location == ConfigLocation(file: dir + "/conf.d/a.conf", line: 4))
        #expect(result.configuration.globalDefinitions.routerID == "main")
    }

    @Test func vrrpDiagnosticsNameTheIncludedFile() throws {
        let dir = try makeTemporaryDirectory()
        try write("vrrp_script chk {\n script /bin/true\n}\ninclude vrrp.inc\n", to: dir + "/k.conf")
        try write("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n virtual_router_id 7\n"
                  + " track_script {\n chk\n nope\n }\n}\n", to: dir + "/vrrp.inc")
        let result = KeepalivedConfigParser.parse(file: dir + "/k.conf")
        let instance = try #require(result.configuration.vrrp.instances.first)
        #expect(instance.location == ConfigLocation(file: dir + "/vrrp.inc", line: 1))
        #expect(instance.virtualRouterID == 7 && instance.trackScripts.map(\.name) == ["chk"])
        #expect(result.errors.map(\.location) == [ConfigLocation(file: dir + "/vrrp.inc", line: 3)])
        #expect(result.messages(containing: "track script nope not found").map(\.location)
                == [ConfigLocation(file: dir + "/vrrp.inc", line: 7)])
    }

    @Test func braceAlternativesAndIncludeInsideABlock() throws {
        let dir = try makeTemporaryDirectory()
        try write("virtual_server 10.0.0.1 80 {\n protocol TCP\n include rs/{one,two}.inc\n}\n", to: dir + "/k.conf")
        try FileManager.default.createDirectory(atPath: dir + "/rs", withIntermediateDirectories: true)
        try write("real_server 10.0.1.1 80 {\n weight 3\n}\n", to: dir + "/rs/one.inc")
        try write("real_server 10.0.1.2 80 {\n weight 4\n}\n", to: dir + "/rs/two.inc")
        try write("real_server 10.0.1.3 80 {\n}\n", to: dir + "/rs/three.inc")
        let result = KeepalivedConfigParser.parse(file: dir + "/k.conf")
        #expect(!result.hasErrors)
        let rs = result.configuration.virtualServers.first?.realServers ?? []
        #expect(rs.map(\.address) == [ip("10.0.1.1"), ip("10.0.1.2")])
        #expect(rs.map(\.weight) == [3, 4])
    }

    @Test func nestedIncludeResolvesAgainstTheIncludingFile() throws {
        let dir = try makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/a/b", withIntermediateDirectories: true)
        try write("include a/first.conf\n", to: dir + "/top.conf")
        try write("include b/second.conf\n", to: dir + "/a/first.conf")
        try write("global_defs {\n router_id nested\n}\n", to: dir + "/a/b/second.conf")
        let result = KeepalivedConfigParser.parse(file: dir + "/top.conf")
        #expect(result.configuration.globalDefinitions.routerID == "nested")
        #expect(result.diagnostics.isEmpty)
    }

    @Test func absoluteInclude() throws {
        let dir = try makeTemporaryDirectory()
        try write("global_defs {\n router_id abs\n}\n", to: dir + "/abs.conf")
        let result = parse("include \(dir)/abs.conf\n", file: "/nonexistent/dir/k.conf")
        #expect(result.configuration.globalDefinitions.routerID == "abs")
    }

    @Test func includeMatchingNothingWarnsStrictVariantErrors() {
        let result = parse("include /nonexistent-dir-xyz/*.conf\n")
        #expect(!result.hasErrors)
        #expect(result.warnings.first?.kind == .include)
        #expect(result.warnings.first?.location.line == 1)
        let strict = parse("\nincluder /nonexistent-dir-xyz/*.conf\n")
        #expect(strict.hasErrors)
        #expect(strict.errors.first?.location.line == 2)
    }

    @Test func includeCycleIsAnErrorNotAHang() throws {
        let dir = try makeTemporaryDirectory()
        try write("include b.conf\n", to: dir + "/a.conf")
        try write("include a.conf\n", to: dir + "/b.conf")
        let result = KeepalivedConfigParser.parse(file: dir + "/a.conf")
        #expect(result.hasErrors)
        #expect(result.errors.contains { $0.message.contains("cycle") })
    }

    @Test func missingTopLevelFileIsAnError() {
        let result = KeepalivedConfigParser.parse(file: "/nonexistent-dir-xyz/keepalived.conf")
        #expect(result.hasErrors)
        #expect(result.errors.first?.location.file == "/nonexistent-dir-xyz/keepalived.conf")
    }

    @Test func includeWithoutPatternIsAnError() {
        let result = parse("include\n")
        #expect(result.errors.count == 1)
    }
}

@Suite struct DiagnosticOrderTests {
    @Test func diagnosticsAreInReadingOrder() throws {
        let dir = try makeTemporaryDirectory()
        try write("bogus_top 1\ninclude inc.conf\nvirtual_server 10.0.0.1 80 {\n weight x\n}\n", to: dir + "/main.conf")
        try write("\nbogus_inc 2\n", to: dir + "/inc.conf")
        let result = KeepalivedConfigParser.parse(file: dir + "/main.conf")
        let positions = result.diagnostics.map { "\($0.location.file.hasSuffix("inc.conf") ? "inc" : "main"):\($0.location.line)" }
        // The post-parse warnings about line 3 (no protocol, no method, no real servers) come after line 1, before 4.
        #expect(positions == ["main:1", "main:3", "main:3", "main:3", "main:4", "inc:2"])
    }
}
