import DaemonLogging
import Glibc
import Testing

@testable import DaemonLogging

/// Timestamps match glibc's strftime in the C locale: `%h %e %T` for syslog, `%a %b %e %H:%M:%S %Y` for -D.
@Suite struct LogTimestampTests {
    private func strftimeText(_ format: String, _ broken: tm) -> String {
        var broken = broken
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, format, &broken)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(arguments: [0, 951_782_400, 1_741_338_303, 1_764_688_154, 2_000_000_000, 4_102_444_799])
    func fieldsFormatAsStrftimeDoes(seconds: Int) {
        var time = time_t(seconds)
        var broken = tm()
        gmtime_r(&time, &broken)  // UTC: independent of the machine's time zone
        let timestamp = LogTimestamp(broken)
        #expect(timestamp.syslogText == strftimeText("%h %e %T", broken))
        #expect(timestamp.consoleText == strftimeText("%a %b %e %H:%M:%S %Y", broken))
    }

    @Test func oneDigitDaysArePaddedWithASpace() {
        let early = LogTimestamp(year: 2025, month: 1, day: 9, hour: 0, minute: 0, second: 0, weekday: 4)
        #expect(early.syslogText == "Jan  9 00:00:00")
        #expect(early.consoleText == "Thu Jan  9 00:00:00 2025")
        let late = LogTimestamp(year: 2025, month: 12, day: 31, hour: 23, minute: 59, second: 60, weekday: 3)
        #expect(late.syslogText == "Dec 31 23:59:60")
    }

    @Test func syslogPrioritiesAreFacilityTimesEightPlusSeverity() {
        #expect(SyslogPriority.value(facility: 3, level: .info) == 30)
        #expect(SyslogPriority.value(facility: 3, level: .trace) == 31)
        #expect(SyslogPriority.value(facility: 23, level: .critical) == 186)
    }
}
