import DaemonLogging
import Glibc
import Logging
import Testing

/// Logging never waits for syslog: missing sockets, full queues and restarted daemons drop lines (counted),
/// and the connection comes back, at most one attempt per second.
@Suite struct SyslogDeliveryTests {
    private func logger(_ daemon: FakeSyslogDaemon, clock: TestClock) -> (Logger, DaemonLogOutput) {
        let output = DaemonLogOutput(configuration: DaemonLogConfiguration(syslogPath: daemon.path), clock: clock.clock)
        return (Logger(label: "test") { output.makeHandler(label: $0) }, output)
    }

    @Test func aMissingSocketDropsLinesAndIsRetriedAtMostOncePerSecond() throws {
        let daemon = try FakeSyslogDaemon()  // no socket yet
        let clock = TestClock()
        let (logger, output) = logger(daemon, clock: clock)
        let started = ContinuousClock.now
        for n in 0..<3 { logger.info("lost \(n)") }
        #expect(ContinuousClock.now - started < .seconds(5))  // returned without waiting (generous on a busy machine)
        #expect(output.syslogDroppedCount == 3 && output.syslogSentCount == 0)

        try daemon.bind()
        clock.advance(milliseconds: 900)
        logger.info("still within the second since the last attempt")
        #expect(daemon.next() == nil)
        #expect(output.syslogDroppedCount == 4)

        clock.advance(milliseconds: 100)
        logger.info("back")
        #expect(daemon.drain() == ["<30>Mar  7 09:05:03 lvsd[\(getpid())]: back"])
        #expect(output.syslogSentCount == 1 && output.syslogDroppedCount == 4)
    }

    @Test func aRestartedDaemonIsReconnectedTo() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let clock = TestClock()
        let (logger, output) = logger(daemon, clock: clock)
        logger.info("before")
        #expect(daemon.drain().count == 1)

        try daemon.bind()  // a new socket at the same path: the old connection now fails
        logger.info("lost: reconnecting is not allowed yet")
        #expect(output.syslogDroppedCount == 1)
        clock.advance(milliseconds: 1000)
        logger.info("after")
        #expect(daemon.drain() == ["<30>Mar  7 09:05:03 lvsd[\(getpid())]: after"])
        #expect(output.syslogSentCount == 2)
    }

    @Test func aFullQueueDropsInsteadOfBlocking() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let (logger, output) = logger(daemon, clock: TestClock())
        // Nobody reads: the queue (net.unix.max_dgram_qlen, 10 by default, and the receive buffer) fills up.
        // A blocking send would hang here for good.
        let count = 5000
        for n in 0..<count { logger.info("line \(n) \(String(repeating: "x", count: 200))") }
        #expect(output.syslogDroppedCount > 0)
        #expect(output.syslogSentCount + output.syslogDroppedCount == count)
        let received = daemon.drain()
        #expect(received.count == output.syslogSentCount)
        #expect(received.first?.hasPrefix("<30>Mar  7 09:05:03 lvsd[\(getpid())]: line 0 x") == true)
        // Once drained, lines get through again.
        logger.info("room again")
        #expect(daemon.drain() == ["<30>Mar  7 09:05:03 lvsd[\(getpid())]: room again"])
    }

    @Test func anOversizedLineIsDroppedAndTheConnectionKept() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let (logger, output) = logger(daemon, clock: TestClock())
        logger.info("\(String(repeating: "x", count: 4 << 20))")  // larger than any socket buffer: EMSGSIZE
        #expect(output.syslogDroppedCount == 1)
        logger.info("next")  // no reconnect needed (the clock has not moved, so none would be allowed)
        #expect(daemon.drain() == ["<30>Mar  7 09:05:03 lvsd[\(getpid())]: next"])
    }

    @Test func handlersFromEqualConfigurationsShareOneOutput() throws {
        let daemon = try FakeSyslogDaemon()
        try daemon.bind()
        let configuration = DaemonLogConfiguration(syslogPath: daemon.path)
        let a = DaemonLogHandler.makeHandler(label: "a", configuration: configuration)
        let b = DaemonLogHandler.makeHandler(label: "b", configuration: configuration)
        #expect(a.output === b.output)
        #expect(a.logLevel == .info)
        var detailed = configuration
        detailed.detail = true
        let c = DaemonLogHandler.makeHandler(label: "c", configuration: detailed)
        #expect(c.output !== a.output)
        #expect(c.logLevel == .debug)
        Logger(label: "a") { _ in a }.info("from a")
        Logger(label: "b") { _ in b }.info("from b")
        #expect(daemon.drain().map { $0.split(separator: ": ").last.map(String.init) } == ["from a", "from b"])
        #expect(a.output.syslogSentCount == 2)
    }
}
