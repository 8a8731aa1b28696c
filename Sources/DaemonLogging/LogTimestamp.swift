#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A local wall-clock time, broken down as `localtime_r(3)` does, for the timestamps of log lines.
public struct LogTimestamp: Sendable, Hashable {
    /// The year, e.g. 2025.
    public var year: Int
    /// 1 (January) to 12.
    public var month: Int
    /// 1 to 31.
    public var day: Int
    /// 0 to 23.
    public var hour: Int
    /// 0 to 59.
    public var minute: Int
    /// 0 to 60 (a leap second).
    public var second: Int
    /// 0 (Sunday) to 6.
    public var weekday: Int

    /// Creates a timestamp from its fields.
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.weekday = weekday
    }

    /// The current local time (`CLOCK_REALTIME` through `localtime_r`).
    public static func now() -> LogTimestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var broken = tm()
        localtime_r(&seconds, &broken)
        return LogTimestamp(broken)
    }

    /// The fields of a broken-down time from `localtime_r(3)` or `gmtime_r(3)`.
    init(_ broken: tm) {
        self.init(
            year: Int(broken.tm_year) + 1900,
            month: Int(broken.tm_mon) + 1,
            day: Int(broken.tm_mday),
            hour: Int(broken.tm_hour),
            minute: Int(broken.tm_min),
            second: Int(broken.tm_sec),
            weekday: Int(broken.tm_wday)
        )
    }

    /// `Mmm dd hh:mm:ss`, the day padded with a space: glibc syslog's `strftime("%h %e %T")` in the C locale.
    public var syslogText: String {
        "\(Self.monthName(self.month)) \(Self.spacePadded(self.day)) \(self.clockText)"
    }

    /// `Www Mmm dd hh:mm:ss yyyy`: `strftime("%a %b %e %H:%M:%S %Y")` in the C locale, lvsd's `-D` console prefix.
    public var consoleText: String {
        "\(Self.weekdayName(self.weekday)) \(Self.monthName(self.month)) \(Self.spacePadded(self.day)) "
            + "\(self.clockText) \(self.year)"
    }

    private var clockText: String {
        "\(Self.zeroPadded(self.hour)):\(Self.zeroPadded(self.minute)):\(Self.zeroPadded(self.second))"
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    private static func monthName(_ month: Int) -> String {
        (1...12).contains(month) ? self.months[month - 1] : "???"
    }

    private static func weekdayName(_ weekday: Int) -> String {
        (0...6).contains(weekday) ? self.weekdays[weekday] : "???"
    }

    private static func spacePadded(_ value: Int) -> String { value < 10 ? " \(value)" : "\(value)" }
    private static func zeroPadded(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
