import DaemonLogging
import Dispatch
import Glibc
import Logging
import Testing

/// Console lines (`-l`) are lvsd's ConsoleLogHandler's lines, byte for byte; with syslog on, both get each line.
@Suite struct ConsoleOutputTests {
    private func logger(detail: Bool = false, syslog: Bool = false, path: String = "/nonexistent/log")
        -> (Logger, CapturedConsole, DaemonLogOutput)
    {
        let console = CapturedConsole()
        let output = DaemonLogOutput(
            configuration: DaemonLogConfiguration(console: true, syslog: syslog, detail: detail, syslogPath: path),
            console: console.writer,
            clock: TestClock().clock
        )
        return (Logger(label: "test") { output.makeHandler(label: $0) }, console, output)
    }

    @Test func linesCarryPidAndAPrefixFromWarningUp() {
        let (logger, console, _) = logger()
        logger.debug("not shown without -D")
        logger.info("Starting")
        logger.notice("Reloading")
        logger.warning("nat_mask is obsolete")
        logger.error("netlink closed")
        logger.critical("giving up")
        let pid = getpid()
        #expect(console.captured == [
            "lvsd[\(pid)]: Starting\n",
            "lvsd[\(pid)]: Reloading\n",
            "lvsd[\(pid)]: warning: nat_mask is obsolete\n",
            "lvsd[\(pid)]: error: netlink closed\n",
            "lvsd[\(pid)]: critical: giving up\n",
        ])
    }

    @Test func detailAddsTheTimeAndDebugLines() {
        let (logger, console, _) = logger(detail: true)
        logger.debug("(VI_1) setting VIPs.")
        logger.warning("late")
        let pid = getpid()
        #expect(console.captured == [
            "Fri Mar  7 09:05:03 2025 lvsd[\(pid)]: (VI_1) setting VIPs.\n",
            "Fri Mar  7 09:05:03 2025 lvsd[\(pid)]: warning: late\n",
        ])
    }

    @Test func consoleAndSyslogBothGetEachLine() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let (logger, console, output) = logger(syslog: true, path: daemon.path)
        logger.warning("both")
        let pid = getpid()
        #expect(console.captured == ["lvsd[\(pid)]: warning: both\n"])
        #expect(daemon.drain() == ["<28>Mar  7 09:05:03 lvsd[\(pid)]: both"])
        #expect(output.syslogSentCount == 1)
    }

    @Test func consoleWithoutASyslogSocketStillWrites() {
        let (logger, console, output) = logger(syslog: true)  // /nonexistent/log
        logger.info("still here")
        #expect(console.captured == ["lvsd[\(getpid())]: still here\n"])
        #expect(output.syslogDroppedCount == 1)
    }

    @Test func linesFromManyThreadsStayWhole() {
        let (logger, console, _) = logger()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for n in 0..<250 { logger.info("thread \(thread) line \(n)") }
        }
        let lines = console.captured
        #expect(lines.count == 1000)
        let prefix = "lvsd[\(getpid())]: thread "
        #expect(lines.allSatisfy { $0.hasPrefix(prefix) && $0.hasSuffix("\n") && $0.dropLast().firstIndex(of: "\n") == nil })
        #expect(Set(lines).count == 1000)
    }
}
