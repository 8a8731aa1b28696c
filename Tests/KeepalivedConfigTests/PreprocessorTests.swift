import Testing
@testable import KeepalivedConfig

@Suite struct PreprocessorTests {
    private func parseWithID(_ text: String, id: String = "lb1") -> ParseResult {
        KeepalivedConfigParser.parse(text: text, file: "/etc/keepalived/pp.conf", options: ParseOptions(strict: true, configID: id))
    }

    @Test func definitionsAreSubstituted() throws {
        let result = parseWithID("""
            $VIP=10.0.0.1   # the address
            $PORT=80
            $RS_BODY=weight 7
            virtual_server $VIP ${PORT} {
                protocol TCP
                lvs_method DR
                real_server 10.0.0.2 $PORT {
                    $RS_BODY
                }
            }
            """)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let vs = try #require(result.configuration.virtualServers.first)
        #expect(vs.address == .endpoint(ip("10.0.0.1"), port: 80))
        #expect(vs.realServers.first?.weight == 7)
        #expect(vs.location.line == 4)
    }

    @Test func multiLineDefinitionExpandsToSeveralLines() throws {
        let result = parseWithID("""
            $CHECK=TCP_CHECK { \\
                connect_timeout 2 \\
            }
            virtual_server 10.0.0.1 80 {
                protocol TCP
                lvs_method DR
                real_server 10.0.0.2 80 {
                    $CHECK
                }
            }
            """)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let checker = try #require(result.configuration.virtualServers.first?.realServers.first?.checkers.first)
        #expect(checker.connectTimeout == .seconds(2))
        #expect(checker.location.line == 8)
    }

    @Test func conditionalLines() {
        let text = "global_defs {\n@lb1 router_id one\n@lb2 router_id two\n@^lb1 lvs_flush\n}"
        let one = parseWithID(text, id: "lb1").configuration.globalDefinitions
        #expect(one.routerID == "one" && !one.lvsFlush)
        let two = parseWithID(text, id: "lb2").configuration.globalDefinitions
        #expect(two.routerID == "two" && two.lvsFlush)
    }

    @Test func builtinsAndUndefinedNames() {
        let result = parseWithID("global_defs {\n router_id ${_INSTANCE}-x\n lvs_notify_fifo ${_PWD}/fifo\n}\n", id: "node7")
        #expect(result.configuration.globalDefinitions.routerID == "node7-x")
        #expect(result.configuration.globalDefinitions.lvsNotifyFifo == "/etc/keepalived/fifo")
        // An undefined name is left alone (a MISC_CHECK argument may legitimately contain `$`).
        let undefined = parseWithID("global_defs {\n router_id $NOPE\n}")
        #expect(undefined.configuration.globalDefinitions.routerID == "$NOPE")
    }

    @Test func recursiveDefinitionIsBoundedAndReported() {
        let result = parseWithID("$A=$A$A\nglobal_defs {\n router_id $A\n}")
        #expect(result.errors.contains { $0.location.line == 3 })
    }
}
