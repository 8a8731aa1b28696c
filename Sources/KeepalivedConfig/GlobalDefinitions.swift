import IPVSKit

/// `global_defs`: the LVS-relevant settings lvsd acts on, and the rest parsed but not acted upon.
public struct GlobalDefinitions: Hashable, Sendable {
    /// `router_id`.
    public var routerID: String?
    /// `lvs_flush`: flush the whole IPVS table at start-up.
    public var lvsFlush = false
    /// `lvs_flush_on_stop [VS]`.
    public var lvsFlushOnStop: FlushOnStop = .no
    /// `lvs_timeouts tcp N tcpfin N udp N` (0 = unchanged).
    public var lvsTimeouts: Timeouts?
    /// `lvs_sync_daemon INTERFACE INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]`.
    public var lvsSyncDaemon: LVSSyncDaemonSettings?
    /// `checker_log_all_failures`.
    public var checkerLogAllFailures = false
    /// `rs_init_notifies`.
    public var rsInitNotifies = false
    /// `no_checker_emails`.
    public var noCheckerEmails = false
    /// `smtp_alert_checker`.
    public var smtpAlertChecker: Bool?
    /// `lvs_notify_fifo PATH`: the checkers' `VS ...` and `RS ...` lines.
    public var lvsNotifyFifo: String?
    /// `lvs_notify_fifo_script`: reads ``lvsNotifyFifo`` (its path appended).
    public var lvsNotifyFifoScript: ScriptCommand?
    /// `notify_fifo PATH`: every event, VRRP and checkers.
    public var notifyFifo: String?
    /// `notify_fifo_script`.
    public var notifyFifoScript: ScriptCommand?
    /// `vrrp_notify_fifo PATH`: VRRP's `INSTANCE ...` and `GROUP ...` lines.
    public var vrrpNotifyFifo: String?
    /// `vrrp_notify_fifo_script`.
    public var vrrpNotifyFifoScript: ScriptCommand?
    /// `reload_check_config [FILE]`: `""` when given without a file.
    public var reloadCheckConfig: String?
    /// `nftables_ipvs`.
    public var nftablesIPVS = false
    /// lvsd extension `lvsd_metrics_address IP:PORT`.
    public var metricsAddress: MetricsAddress?
    /// lvsd extension `lvsd_announce_interface NAME`: the dummy interface that carries announced addresses.
    public var announceInterface: String = AnnounceDefaults.interface
    /// lvsd extensions `lvsd_sloppy_tcp`, `lvsd_schedule_icmp`, `lvsd_expire_nodest_conn`, `lvsd_conntrack`.
    public var directorSysctls = DirectorSysctls()
    /// `script_user USER [GROUP]`: who runs scripts that name no user (keepalived's default is root, or
    /// `keepalived_script` when that user exists).
    public var scriptUser: String?
    /// The group of `script_user`, if given.
    public var scriptGroup: String?
    /// `enable_script_security`: refuse scripts run as root that a non-root user could modify.
    public var enableScriptSecurity = false

    /// Mail settings (`notification_email`, `smtp_server`, ...) for lvsd's SMTP alerts.
    public var mail = MailSettings()
    /// The VRRP settings (`vrrp_version`, `vrrp_mcast_group4/6`, `vrrp_garp_*`, `vrrp_startup_delay`,
    /// `vrrp_strict`, ...), with keepalived's defaults.
    public var vrrp = GlobalVRRPSettings()
    /// Other recognised keywords lvsd does not act on (VRRP tuning, SNMP, scheduling...), as written.
    public var notActedUpon: [OtherSetting] = []
    /// Where each global_defs keyword was (last) written, for later diagnostics (not part of equality).
    @ExcludedFromEquality public var keywordLocations: [String: ConfigLocation] = [:]

    /// Defaults.
    public init() {}

    /// `lvs_flush_on_stop`.
    public enum FlushOnStop: Hashable, Sendable {
        /// Not given: remove what lvsd added, one entry at a time.
        case no
        /// `lvs_flush_on_stop`: flush the whole table.
        case all
        /// `lvs_flush_on_stop VS`: remove the configured services in one go.
        case virtualServers
    }
}

/// The mail settings of global_defs: where lvsd's SMTP alerts go (`SMTPAlert.SMTPSettings` adds the defaults).
public struct MailSettings: Hashable, Sendable {
    /// `notification_email { ... }`.
    public var notificationEmail: [String] = []
    /// `notification_email_from`.
    public var notificationEmailFrom: String?
    /// `smtp_server HOST [PORT]`, as written (`HOST` or `HOST PORT`).
    public var smtpServer: String?
    /// The host (an address or a name) of `smtp_server`.
    public var smtpServerHost: String?
    /// The port of `smtp_server` (default 25).
    public var smtpServerPort: UInt16 = 25
    /// `smtp_helo_name`.
    public var smtpHeloName: String?
    /// `smtp_connect_timeout` in whole seconds, if given.
    public var smtpConnectTimeout: ConfigDuration?
    /// `smtp_alert`: mail on VRRP and checker events unless `smtp_alert_vrrp` / `smtp_alert_checker` say otherwise.
    public var smtpAlert: Bool?
    /// `smtp_alert_vrrp`: mail on VRRP events (overrides `smtp_alert` for VRRP).
    public var smtpAlertVRRP: Bool?
    /// `no_email_faults`: no VRRP mail for entering FAULT (instances and groups).
    public var noEmailFaults = false
    /// The connect timeout in effect: `smtp_connect_timeout`, else keepalived's 30 s.
    public var effectiveSMTPConnectTimeout: ConfigDuration { smtpConnectTimeout ?? .seconds(30) }
    /// Whether any mail setting was given.
    public var isEmpty: Bool {
        notificationEmail.isEmpty && notificationEmailFrom == nil && smtpServer == nil && smtpHeloName == nil
            && smtpConnectTimeout == nil && smtpAlert == nil && smtpAlertVRRP == nil && !noEmailFaults
    }
}

/// `lvs_sync_daemon`.
public struct LVSSyncDaemonSettings: Hashable, Sendable {
    /// The multicast interface.
    public var interface: String
    /// The VRRP instance whose state selects master or backup.
    public var vrrpInstance: String?
    /// `id` (0..255); without it, the VRID of the named instance (0 when no instance is named).
    public var syncID: UInt32 = 0
    /// Whether `id` was written.
    public var syncIDWasGiven = false
    /// `maxlen`.
    public var maxLength: UInt16?
    /// `port`.
    public var port: UInt16?
    /// `ttl`.
    public var ttl: UInt8?
    /// `group`.
    public var group: IPAddress?
    /// Where it was written.
    @ExcludedFromEquality public var location: ConfigLocation
}

/// An `IP:PORT` listening address (`[v6]:PORT` for IPv6).
public struct MetricsAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address.
    public var address: IPAddress
    /// The port.
    public var port: UInt16
    /// Creates an address.
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }
    /// Parses `IP:PORT` or `[IPv6]:PORT`.
    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portPart = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let address = IPAddress(hostPart), let port = UInt16(portPart), port > 0 else { return nil }
        self.init(address: address, port: port)
    }
    /// `10.0.0.1:9100` or `[::1]:9100`.
    public var description: String { "\(address.bracketed):\(port)" }
}
