import Foundation
import Testing
@testable import KeepalivedConfig

@Suite struct CommandLineTests {
    private func options(_ arguments: [String]) throws -> LvsdOptions {
        guard case .run(let options) = try LvsdCommandLine.parse(arguments) else {
            Issue.record("not a run command: \(arguments)")
            return LvsdOptions()
        }
        return options
    }

    @Test func defaults() throws {
        let o = try options([])
        #expect(o.configFile == "/etc/keepalived/keepalived.conf")
        #expect(!o.dontFork && !o.logConsole && !o.logDetail && !o.configTest)
        #expect(o.logFacility == nil && o.pidFile == nil && o.metricsAddress == nil)
    }

    @Test func shortOptions() throws {
        let o = try options(["-n", "-l", "-D", "-S", "3", "-t", "-p", "/run/lvsd.pid", "-f", "/tmp/k.conf"])
        #expect(o.dontFork && o.logConsole && o.logDetail && o.configTest)
        #expect(o.logFacility == 3 && o.pidFile == "/run/lvsd.pid" && o.configFile == "/tmp/k.conf")
    }

    @Test func clusteredAndAttachedShortOptions() throws {
        let o = try options(["-nlD", "-f/tmp/a.conf", "-tS7"])
        #expect(o.dontFork && o.logConsole && o.logDetail && o.configTest)
        #expect(o.configFile == "/tmp/a.conf" && o.logFacility == 7)
    }

    @Test func longOptions() throws {
        let o = try options(["--use-file=/tmp/b.conf", "--dont-fork", "--log-console", "--log-detail", "--log-facility", "0",
                             "--config-test", "--pid=/run/x.pid", "--metrics-address=127.0.0.1:9100"])
        #expect(o.configFile == "/tmp/b.conf" && o.dontFork && o.logConsole && o.logDetail && o.configTest)
        #expect(o.logFacility == 0 && o.pidFile == "/run/x.pid")
        #expect(o.metricsAddress?.port == 9100)
        #expect(try options(["--use-file", "/tmp/c.conf"]).configFile == "/tmp/c.conf")
    }

    @Test func helpVersionAndSubcommands() throws {
        #expect(try LvsdCommandLine.parse(["-h"]) == .help)
        #expect(try LvsdCommandLine.parse(["--help"]) == .help)
        #expect(try LvsdCommandLine.parse(["-v"]) == .version)
        #expect(try LvsdCommandLine.parse(["-n", "--version"]) == .version)
        #expect(try LvsdCommandLine.parse(["genhash", "-s", "h", "-p", "80"]) == .subcommand("genhash", ["-s", "h", "-p", "80"]))
        #expect(try LvsdCommandLine.parse(["status"]) == .subcommand("status", []))
        #expect(LvsdCommandLine.usage.contains("--use-file"))
    }

    @Test func errors() {
        for bad in [["-x"], ["--frobnicate"], ["-f"], ["--use-file"], ["-S", "8"], ["-S", "x"], ["extra"],
                    ["--dont-fork=yes"], ["--metrics-address", "nope"], ["-f", ""]] {
            #expect(throws: CommandLineError.self, "\(bad)") { try LvsdCommandLine.parse(bad) }
        }
        do {
            _ = try LvsdCommandLine.parse(["-q"])
        } catch {
            #expect(error.description.contains("'q'"))
        }
    }

    @Test func configTestOutcome() throws {
        let dir = try makeTemporaryDirectory()
        try write(vsConfig("bogus 1"), to: dir + "/k.conf")
        let outcome = ConfigTest.run(path: dir + "/k.conf")
        #expect(outcome.exitStatus == 1)
        #expect(outcome.messages.contains("lvsd: \(dir)/k.conf:4: error: unknown keyword 'bogus' in virtual_server"))
        try write(vsConfig("lb_algo rr"), to: dir + "/ok.conf")
        let ok = ConfigTest.run(path: dir + "/ok.conf")
        #expect(ok.exitStatus == 0)
        #expect(ok.messages.contains { $0.hasPrefix("lvsd: \(dir)/ok.conf:4: warning: ") })
    }
}
