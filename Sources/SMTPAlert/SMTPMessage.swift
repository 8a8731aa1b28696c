#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The text sent after `DATA`, as keepalived writes it (`SMTP_HEADERS_CMD SMTP_BODY_CMD SMTP_SEND_CMD` in
/// smtp.h): the headers `Date`, `From`, `Subject`, `X-Mailer: Keepalived` and `To`, a blank line, the body, CRLF,
/// and the end of data (CRLF `.` CRLF).
enum SMTPMessage {
    /// The bytes of `mail` from `from` to `recipients`, dated `date` (a ``dateHeader(_:)`` value).
    ///
    /// Line ends in the body become CRLF and a body line starting with `.` gets a second one (RFC 5321
    /// §4.5.2), which keepalived's texts never need.
    static func render(_ mail: AlertMail, from: String, recipients: [String], date: String) -> [UInt8] {
        var text = "Date: \(date)\r\nFrom: \(from)\r\nSubject: \(mail.subject)\r\nX-Mailer: Keepalived\r\n"
        text += "To: \(recipients.joined(separator: ", "))\r\n\r\n"
        let lines = mail.body.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false)
        text += lines.map { $0.hasPrefix(".") ? ".\($0)" : String($0) }.joined(separator: "\r\n")
        text += "\r\n\r\n.\r\n"
        return Array(text.utf8)
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// keepalived's `Date:` value: `strftime("%a, %d %b %Y %H:%M:%S %z")` of `time` in local time, in the C
    /// locale whatever the process's locale (`Mon, 01 Mar 2021 09:44:08 +0000`).
    static func dateHeader(_ time: time_t) -> String {
        var seconds = time
        var t = tm()
        guard localtime_r(&seconds, &t) != nil else { return "Thu, 01 Jan 1970 00:00:00 +0000" }
        let offset = t.tm_gmtoff / 60
        let sign = offset < 0 ? "-" : "+"
        let day = days[Int(t.tm_wday) % 7], month = months[Int(t.tm_mon) % 12]
        return "\(day), \(two(t.tm_mday)) \(month) \(t.tm_year + 1900) \(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) "
            + "\(sign)\(two(abs(offset) / 60))\(two(abs(offset) % 60))"
    }

    private static func two(_ n: some BinaryInteger) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

extension String {
    /// CRLF and lone CR turned into LF.
    fileprivate func replacingCRLF() -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                out.append("\n")
                previousCR = true
                continue
            }
            if !(scalar == "\n" && previousCR) { out.append(scalar) }
            previousCR = false
        }
        return String(out)
    }
}
