#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import KeepalivedConfig

/// Where and how alert mails are sent: keepalived's global mail settings with keepalived's defaults.
public struct SMTPSettings: Hashable, Sendable {
    /// `smtp_server HOST [PORT]`: an address or a name (resolved when a mail is sent), and the port (25).
    public var server: Server?
    /// `smtp_helo_name`, else the host name.
    public var heloName: String
    /// `notification_email_from`; `nil` for keepalived's default `<user>@<host name>`, worked out (user name
    /// from the password database) on the sender's thread when a mail is sent.
    public var from: String?
    /// `notification_email { ... }`: one `RCPT TO` each, in order.
    public var recipients: [String]
    /// `smtp_connect_timeout` (30 s): the limit for connecting and for each reply.
    public var connectTimeout: Duration
    /// `router_id`, else the host name: the `[...]` at the start of every subject.
    public var routerID: String

    /// An SMTP server's host and port.
    public struct Server: Hashable, Sendable, CustomStringConvertible {
        /// An IPv4 or IPv6 address, or a name.
        public var host: String
        /// The TCP port.
        public var port: UInt16
        /// Creates a server address.
        public init(host: String, port: UInt16 = 25) {
            self.host = host
            self.port = port
        }
        /// keepalived's `[host]:port`.
        public var description: String { "[\(host)]:\(port)" }
    }

    /// Creates settings.
    public init(server: Server?, heloName: String, from: String?, recipients: [String],
                connectTimeout: Duration = .seconds(30), routerID: String) {
        self.server = server
        self.heloName = heloName
        self.from = from
        self.recipients = recipients
        self.connectTimeout = connectTimeout
        self.routerID = routerID
    }

    /// The settings of `global_defs`, with keepalived's defaults: `router_id` and `smtp_helo_name` default to
    /// `hostName`, the connect timeout to 30 s.
    ///
    /// keepalived takes its host name from `getaddrinfo(AI_CANONNAME)` of the node name; lvsd takes the node
    /// name itself (``localHostName()``), so that nothing waits for a resolver.
    public init(_ global: GlobalDefinitions, hostName: String = SMTPSettings.localHostName()) {
        let mail = global.mail
        self.init(server: mail.smtpServerHost.map { Server(host: $0, port: mail.smtpServerPort) },
                  heloName: mail.smtpHeloName ?? hostName, from: mail.notificationEmailFrom,
                  recipients: mail.notificationEmail,
                  connectTimeout: mail.effectiveSMTPConnectTimeout,
                  routerID: global.routerID ?? hostName)
    }

    /// Whether mails can be sent: a server and at least one recipient (keepalived sends nothing otherwise).
    public var canSend: Bool { server != nil && !recipients.isEmpty }

    /// The `To:` header's value: the recipients separated by `, `.
    public var toHeader: String { recipients.joined(separator: ", ") }

    /// The host name (`uname -n`), or `localhost` when it cannot be read. A system call that does not wait.
    public static func localHostName() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "localhost" }
        let text = withUnsafeBytes(of: &name.nodename) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "localhost" : text
    }

    /// keepalived's default sender: `<user>@<host name>` for the user lvsd runs as, or `nil` when the user has
    /// no name. Reads the password database, which may wait: call it on the sender's thread.
    static func defaultFrom(hostName: String) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(getuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil,
              let raw = entry.pw_name else { return nil }
        let user = String(cString: raw)
        return user.isEmpty ? nil : "\(user)@\(hostName)"
    }
}
