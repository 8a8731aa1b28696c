import ArgumentParser
import Testing
@testable import LVSDaemon

@Suite struct CommandLineTests {
    private func options(_ arguments: [String]) throws -> LvsdOptions {
        let command = try LvsdCommand.parseAsRoot(arguments)
        guard let root = command as? DaemonCommand else {
            Issue.record("not the daemon command: \(arguments)")
            return LvsdOptions()
        }
        return try root.options()
    }

    @Test func defaults() throws {
        let o = try options([])
        #expect(o.configFile == "/etc/keepalived/keepalived.conf")
        #expect(!o.dontFork && !o.logConsole && !o.logDetail && !o.configTest && !o.noSyslog)
        #expect(o.logFacility == nil && o.pidFile == nil && o.metricsAddress == nil)
        #expect(o.controlSocket == "/run/lvsd.sock")
    }

    @Test func shortOptions() throws {
        let o = try options(["-n", "-l", "-D", "-S", "3", "-t", "-p", "/run/lvsd.pid", "-f", "/tmp/k.conf", "-G"])
        #expect(o.dontFork && o.logConsole && o.logDetail && o.configTest && o.noSyslog)
        #expect(o.logFacility == 3 && o.pidFile == "/run/lvsd.pid" && o.configFile == "/tmp/k.conf")
    }

    @Test func clusteredAndAttachedShortOptions() throws {
        let o = try options(["-nlD", "-f/tmp/a.conf", "-S7", "-p/run/p.pid"])
        #expect(o.dontFork && o.logConsole && o.logDetail)
        #expect(o.configFile == "/tmp/a.conf" && o.logFacility == 7 && o.pidFile == "/run/p.pid")
    }

    @Test func longOptions() throws {
        let o = try options(["--use-file=/tmp/b.conf", "--dont-fork", "--log-console", "--log-detail", "--log-facility", "0",
                             "--config-test", "--pid=/run/x.pid", "--metrics-address=127.0.0.1:9100",
                             "--control-socket", "/tmp/c.sock", "--no-syslog"])
        #expect(o.configFile == "/tmp/b.conf" && o.dontFork && o.logConsole && o.logDetail && o.configTest && o.noSyslog)
        #expect(o.logFacility == 0 && o.pidFile == "/run/x.pid" && o.controlSocket == "/tmp/c.sock")
        #expect(o.metricsAddress?.port == 9100)
        #expect(try options(["--use-file", "/tmp/c.conf"]).configFile == "/tmp/c.conf")
    }

    @Test func facilitiesAsKeepalivedSpellsThem() throws {
        #expect(try options(["-S", "local5"]).logFacility == 5)
        #expect(try options(["-S", "daemon"]).logFacility == nil)
        #expect(throws: (any Error).self) { try options(["-S", "8"]) }
        #expect(throws: (any Error).self) { try options(["-S", "local"]) }
        #expect(throws: (any Error).self) { try options(["-S", "-1"]) }
    }

    @Test func garbageIsRefusedNamingTheArgument() {
        for (arguments, mention) in [
            (["--metrics-address", "nonsense"], "nonsense"),
            (["--control-socket", "relative.sock"], "relative.sock"),
            (["-x"], "-x"),
            (["--bogus"], "--bogus"),
            (["stray"], "stray"),
            (["-f"], "-f"),
            (["-f", ""], "-f"),
        ] {
            do {
                let command = try LvsdCommand.parseAsRoot(arguments)
                if let root = command as? DaemonCommand { _ = try root.options() }
                Issue.record("accepted \(arguments)")
            } catch {
                let message = LvsdCommand.message(for: error)
                #expect(message.contains(mention), "\(arguments): \(message)")
            }
        }
    }

    @Test func versionHelpAndSubcommands() throws {
        #expect((try LvsdCommand.parseAsRoot(["-v"]) as? DaemonCommand)?.version == true)
        #expect((try LvsdCommand.parseAsRoot(["-n", "--version"]) as? DaemonCommand)?.version == true)
        #expect(try LvsdCommand.parseAsRoot(["status", "--json", "-s", "/tmp/x.sock"]) is StatusCommand)
        #expect(try LvsdCommand.parseAsRoot(["reload"]) is ReloadCommand)
        #expect(try LvsdCommand.parseAsRoot(["genhash", "-s", "h", "-p", "80", "-u", "/"]) is GenhashCommand)
        #expect(LvsdCommand.helpMessage(for: DaemonCommand.self).contains("--use-file"))
        // genhash's -p and -S are its own, not the daemon's --pid and --log-facility.
        let genhash = try #require(try LvsdCommand.parseAsRoot(["genhash", "-s", "h", "-p", "80", "-u", "/", "-S"]) as? GenhashCommand)
        #expect(try genhash.options()?.port == 80 && genhash.options()?.useSSL == true)
        #expect(LvsdCommand.helpMessage().contains("reload"))
        // -h is help, as in keepalived.
        #expect(!(try LvsdCommand.parseAsRoot(["-h"]) is DaemonCommand))
        #expect(LvsdCommand.helpMessage().contains("status"))
        // A sub-command's help is its own (it used to print the top-level help).
        for arguments in [["status", "--help"], ["status", "-h"], ["help", "status"]] {
            let text = LvsdCommand.helpText(forArguments: arguments)
            #expect(text.contains("--json") && !text.contains("--use-file"), "\(arguments): \(text)")
        }
        #expect(LvsdCommand.helpText(forArguments: ["genhash", "-h"]).contains("--fwmark"))
        let top = LvsdCommand.helpText(forArguments: ["-h"])
        #expect(top.contains("reload") && top.contains("--use-file"))
    }

    @Test func genhashOptions() throws {
        let command = try GenhashCommand.parse([
            "-s", "10.0.0.2", "-p", "443", "-u", "/index.html", "-S", "-I", "-V", "www.example.test", "-P", "1.0c",
            "-t", "2.5", "--fwmark", "7",
        ])
        let options = try #require(try command.options())
        #expect(options.server == "10.0.0.2" && options.port == 443 && options.url == "/index.html")
        #expect(options.useSSL && options.useSNI && options.virtualHost == "www.example.test")
        #expect(options.httpProtocol == .http10Close && options.timeout == .milliseconds(2500) && options.fwmark == 7)
        #expect(try GenhashCommand.parse(["-r"]).options() == nil)
        for (arguments, message) in [
            (["-s", "h", "-p", "80"], "missing -u url"),
            (["-s", "h", "-p", "x", "-u", "/"], "invalid port 'x'"),
            (["-s", "h", "-p", "70000", "-u", "/"], "invalid port '70000'"),
            (["-s", "h", "-p", "80", "-u", "/", "-H", "sha1"], "unsupported hash algorithm 'sha1'"),
            (["-s", "h", "-p", "80", "-u", "/", "-t", "0"], "invalid timeout '0'"),
            (["-s", "h", "-p", "80", "-u", "/", "-P", "2.0"], "invalid HTTP protocol '2.0'"),
        ] {
            #expect(throws: (any Error).self) { try GenhashCommand.parse(arguments) }
            do { _ = try GenhashCommand.parse(arguments) } catch {
                #expect(GenhashCommand.message(for: error).contains(message), "\(arguments): \(GenhashCommand.message(for: error))")
            }
        }
    }
}
