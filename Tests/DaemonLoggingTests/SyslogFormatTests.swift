import DaemonLogging
import Glibc
import Logging
import Testing

/// The bytes lvsd sends to the syslog socket: glibc's `syslog(3)` after `openlog("lvsd", LOG_PID, facility)`.
@Suite struct SyslogFormatTests {
    private func logger(_ daemon: FakeSyslogDaemon, facility: Int? = nil, detail: Bool = false,
                        clock: TestClock = TestClock()) -> (Logger, DaemonLogOutput)
    {
        let output = DaemonLogOutput(
            configuration: DaemonLogConfiguration(facility: facility, detail: detail, syslogPath: daemon.path),
            console: ConsoleWriter { _ in Issue.record("console written without -l") },
            clock: clock.clock
        )
        return (Logger(label: "test") { output.makeHandler(label: $0) }, output)
    }

    @Test(arguments: [
        (Logger.Level.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func eachLevelHasItsSeverityUnderTheDaemonFacility(level: Logger.Level, severity: Int) throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let (logger, output) = logger(daemon, detail: true)
        logger.log(level: level, "Activating healthchecker for service [10.0.0.2]:tcp:80")
        #expect(daemon.drain() == ["<\(24 + severity)>Mar  7 09:05:03 lvsd[\(getpid())]: Activating healthchecker for service [10.0.0.2]:tcp:80"])
        #expect(output.syslogSentCount == 1 && output.syslogDroppedCount == 0)
    }

    @Test(arguments: 0...7) func dashSSelectsLocalN(facility: Int) throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let (logger, _) = logger(daemon, facility: facility)
        logger.warning("hello world")
        logger.info("TCP connection to [10.0.0.3]:tcp:80 success.")
        let pid = getpid()
        #expect(daemon.drain() == [
            "<\((16 + facility) * 8 + 4)>Mar  7 09:05:03 lvsd[\(pid)]: hello world",
            "<\((16 + facility) * 8 + 6)>Mar  7 09:05:03 lvsd[\(pid)]: TCP connection to [10.0.0.3]:tcp:80 success.",
        ])
    }

    @Test func glibcsOwnBytesForLocal3Warning() throws {
        // Captured from glibc 2.36: openlog("lvsd", LOG_PID, LOG_LOCAL3); syslog(LOG_WARNING, "hello world")
        // sent "<156>Dec  2 15:09:14 lvsd[2979]: hello world" (44 bytes, no NUL, no newline) to /dev/log.
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let clock = TestClock()
        clock.set(LogTimestamp(year: 2025, month: 12, day: 2, hour: 15, minute: 9, second: 14, weekday: 2))
        let (logger, _) = logger(daemon, facility: 3, clock: clock)
        logger.warning("hello world")
        let datagram = try #require(daemon.next())
        #expect(datagram == "<156>Dec  2 15:09:14 lvsd[\(getpid())]: hello world")
        #expect(datagram.utf8.count == 44 - 4 + "\(getpid())".utf8.count)
    }

    @Test func aFacilityOutsideZeroToSevenIsTheDaemonFacility() {
        #expect(DaemonLogConfiguration(facility: nil).facilityCode == 3)
        #expect(DaemonLogConfiguration(facility: 8).facilityCode == 3)
        #expect(DaemonLogConfiguration(facility: -1).facilityCode == 3)
        #expect(DaemonLogConfiguration(facility: 7).facilityCode == 23)
    }

    @Test func debugIsWrittenOnlyWithDetail() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let (quiet, _) = logger(daemon)
        quiet.debug("Receive advertisement timeout")
        quiet.info("Starting")
        #expect(daemon.drain() == ["<30>Mar  7 09:05:03 lvsd[\(getpid())]: Starting"])
        let (detailed, _) = logger(daemon, detail: true)
        detailed.debug("Receive advertisement timeout")
        #expect(daemon.drain() == ["<31>Mar  7 09:05:03 lvsd[\(getpid())]: Receive advertisement timeout"])
    }

    @Test func theRealClockGivesSyslogsTimestampShape() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let output = DaemonLogOutput(configuration: DaemonLogConfiguration(ident: "lvsd-test", syslogPath: daemon.path))
        Logger(label: "test") { output.makeHandler(label: $0) }.notice("shape")
        let datagram = try #require(daemon.next())
        let shape = try Regex(#"<29>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d [012]\d:[0-5]\d:[0-6]\d lvsd-test\[(\d+)\]: shape"#)
        let match = try #require(try shape.wholeMatch(in: datagram), "\(datagram)")
        #expect(match.output[2].substring.flatMap { Int32($0) } == getpid())
    }

    @Test func aStreamSocketGetsNulTerminatedMessages() throws {
        let daemon = try FakeSyslogDaemon(stream: true)
        try daemon.bind()
        let (logger, output) = logger(daemon)
        logger.info("one")
        logger.error("two")
        let pid = getpid()
        let expected = "<30>Mar  7 09:05:03 lvsd[\(pid)]: one\0<27>Mar  7 09:05:03 lvsd[\(pid)]: two\0"
        #expect(try daemon.streamBytes() == Array(expected.utf8))
        #expect(output.syslogSentCount == 2)
    }

    @Test func noSyslogSendsNothing() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let console = CapturedConsole()
        let output = DaemonLogOutput(
            configuration: DaemonLogConfiguration(console: true, syslog: false, syslogPath: daemon.path),
            console: console.writer
        )
        Logger(label: "test") { output.makeHandler(label: $0) }.error("console only")
        #expect(daemon.next() == nil)
        #expect(console.captured == ["lvsd[\(getpid())]: error: console only\n"])
        #expect(output.syslogSentCount == 0 && output.syslogDroppedCount == 0)
    }
}
