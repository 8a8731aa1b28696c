import IPVSKit

extension Parser {
    mutating func parseGlobalDefs(_ block: [ConfigNode]) {
        var g = configuration.globalDefinitions
        for node in block {
            g.keywordLocations[node.name] = node.location
            switch node.name {
            case "router_id", "lvs_id":
                if node.name == "lvs_id" { deprecated(node, "router_id") }
                g.routerID = string(node)
            case "lvs_flush":
                noArguments(node)
                g.lvsFlush = true
            case "lvs_flush_on_stop", "lvs_flush_onstop":
                if node.name == "lvs_flush_onstop" { deprecated(node, "lvs_flush_on_stop") }
                rejectBlock(node)
                if let arg = node.arguments.first {
                    if arg.text == "VS" { g.lvsFlushOnStop = .virtualServers } else { invalid(node, arg, "expected VS or nothing") }
                } else {
                    g.lvsFlushOnStop = .all
                }
            case "lvs_timeouts":
                parseLVSTimeouts(node, into: &g)
            case "lvs_sync_daemon":
                parseSyncDaemon(node, into: &g)
            case "checker_log_all_failures":
                if let v = optionalBool(node) { g.checkerLogAllFailures = v }
            case "rs_init_notifies":
                noArguments(node)
                g.rsInitNotifies = true
            case "no_checker_emails":
                noArguments(node)
                g.noCheckerEmails = true
            case "smtp_alert_checker":
                if let v = optionalBool(node) { g.smtpAlertChecker = v }
            case "lvs_notify_fifo":
                g.lvsNotifyFifo = string(node)
            case "lvs_notify_fifo_script":
                g.lvsNotifyFifoScript = script(node)
            case "notify_fifo":
                g.notifyFifo = string(node)
            case "notify_fifo_script":
                g.notifyFifoScript = script(node)
            case "vrrp_notify_fifo":
                g.vrrpNotifyFifo = string(node)
            case "vrrp_notify_fifo_script":
                g.vrrpNotifyFifoScript = script(node)
            case "reload_check_config":
                rejectBlock(node)
                g.reloadCheckConfig = node.arguments.first?.text ?? ""
            case "nftables_ipvs":
                g.nftablesIPVS = true
                recordNotActed(node, into: &g)
            case "lvsd_metrics_address":
                guard let token = argument(node, "an IP:PORT address") else { continue }
                if let address = MetricsAddress(token.text) {
                    g.metricsAddress = address
                } else {
                    invalid(node, token, "expected IP:PORT (or [IPv6]:PORT) with a port from 1 to 65535")
                }
            case "lvsd_announce_interface":
                guard let token = argument(node, "an interface name") else { continue }
                if Self.isInterfaceName(token.text) {
                    g.announceInterface = token.text
                } else {
                    invalid(node, token, "expected an interface name of 1 to 15 characters without '/', ':' or spaces")
                }
            case "lvsd_sloppy_tcp", "lvsd_schedule_icmp", "lvsd_expire_nodest_conn", "lvsd_conntrack":
                parseDirectorSysctl(node, into: &g.directorSysctls)
            case "script_user":
                guard let token = argument(node, "a user name") else { continue }
                g.scriptUser = token.text
                g.scriptGroup = node.arguments.count > 1 ? node.arguments[1].text : nil
            case "enable_script_security":
                g.enableScriptSecurity = true
            case "lvs_process_name":
                recordNotActed(node, into: &g)
            // Mail: lvsd's SMTP alerts (module SMTPAlert); completeness is checked once the file is read.
            case "notification_email":
                guard let entries = requireBlock(node) else { continue }
                for entry in entries {
                    g.mail.notificationEmail.append(entry.keyword.text)
                    g.mail.notificationEmail.append(contentsOf: entry.arguments.map(\.text))
                }
                if entries.isEmpty {
                    log.warning(.adjusted, node.location, "empty notification_email block")
                }
            case "notification_email_from":
                g.mail.notificationEmailFrom = string(node)
            case "smtp_server":
                rejectBlock(node)
                guard !node.arguments.isEmpty else {
                    log.error(.syntax, node.location, "'smtp_server' needs a host")
                    continue
                }
                // `smtp_server HOST [PORT]`: the port is validated; the host may be a name.
                var smtpPort: UInt16 = 25
                if node.arguments.count > 1 {
                    guard let given = port(node, node.arguments[1]) else { continue }
                    smtpPort = given
                }
                if node.arguments.count > 2 {
                    log.warning(.syntax, node.location,
                                "'smtp_server': extra words ignored: \(node.arguments.dropFirst(2).map(\.raw).joined(separator: " "))")
                }
                g.mail.smtpServer = node.arguments.prefix(2).map(\.text).joined(separator: " ")
                g.mail.smtpServerHost = node.arguments[0].text
                g.mail.smtpServerPort = smtpPort
            case "smtp_helo_name":
                g.mail.smtpHeloName = string(node)
            case "smtp_connect_timeout":
                // keepalived: whole seconds; 0 is taken as 1.
                if let v = unsigned(node, in: 0...UInt64(UInt32.max / 1_000_000)) {
                    if v == 0 {
                        log.warning(.adjusted, node.location, "smtp_connect_timeout must be greater than 0, setting to 1")
                    }
                    g.mail.smtpConnectTimeout = .seconds(Int64(max(v, 1)))
                }
            case "smtp_alert":
                if let v = optionalBool(node) { g.mail.smtpAlert = v }
            default:
                if GlobalKeywords.vrrpActedUpon.contains(node.name) {
                    parseGlobalVRRPKeyword(node, into: &g)
                } else if GlobalKeywords.notActedUpon.contains(node.name) {
                    parseGlobalVRRPKeyword(node, into: &g)
                    recordNotActed(node, into: &g)
                } else {
                    unknown(node, in: "global_defs")
                }
            }
        }
        configuration.globalDefinitions = g
    }

    /// Once the whole file is read: mail settings that cannot send anything (as keepalived, lvsd mails only
    /// with both `smtp_server` and at least one `notification_email` address) are reported.
    mutating func finishMail() {
        let g = configuration.globalDefinitions
        let mail = g.mail
        if mail.smtpServerHost != nil && mail.notificationEmail.isEmpty, let at = g.keywordLocations["smtp_server"] {
            log.warning(.adjusted, at, "smtp_server is set but notification_email lists no address: no alert mail will be sent")
        } else if mail.smtpServerHost == nil && !mail.notificationEmail.isEmpty,
                  let at = g.keywordLocations["notification_email"] {
            log.warning(.adjusted, at, "notification_email is set but there is no smtp_server: no alert mail will be sent")
        }
    }

    mutating func recordNotActed(_ node: ConfigNode, into g: inout GlobalDefinitions) {
        g.notActedUpon.append(OtherSetting(keyword: node.name, arguments: node.arguments.map(\.text),
                                           location: node.location))
        log.once("global:other", .notActedUpon, node.location,
                 "global_defs '\(node.name)' and other VRRP/SNMP/process settings are parsed but not acted upon by lvsd")
    }

    private mutating func parseLVSTimeouts(_ node: ConfigNode, into g: inout GlobalDefinitions) {
        rejectBlock(node)
        var timeouts = Timeouts(tcp: 0, tcpFin: 0, udp: 0)
        var index = 0
        let args = node.arguments
        guard !args.isEmpty else {
            log.error(.syntax, node.location, "'lvs_timeouts' needs tcp N, tcpfin N and/or udp N")
            return
        }
        while index < args.count {
            let name = args[index]
            guard index + 1 < args.count else {
                log.error(.syntax, name.location, "'lvs_timeouts': '\(name.raw)' needs a value")
                return
            }
            guard let value = unsigned(node, args[index + 1], in: 0...UInt64(Int32.max)) else { return }
            switch name.text {
            case "tcp": timeouts.tcp = UInt32(value)
            case "tcpfin": timeouts.tcpFin = UInt32(value)
            case "udp": timeouts.udp = UInt32(value)
            default:
                invalid(node, name, "expected tcp, tcpfin or udp")
                return
            }
            index += 2
        }
        g.lvsTimeouts = timeouts
    }

    private mutating func parseSyncDaemon(_ node: ConfigNode, into g: inout GlobalDefinitions) {
        rejectBlock(node)
        let args = node.arguments
        guard let interface = args.first else {
            log.error(.syntax, node.location, "'lvs_sync_daemon' needs an interface")
            return
        }
        var settings = LVSSyncDaemonSettings(interface: interface.text, location: node.location)
        var index = 1
        if index < args.count, !["id", "maxlen", "port", "ttl", "group"].contains(args[index].text) {
            settings.vrrpInstance = args[index].text
            index += 1
        }
        while index < args.count {
            let name = args[index]
            guard index + 1 < args.count else {
                log.error(.syntax, name.location, "'lvs_sync_daemon': '\(name.raw)' needs a value")
                return
            }
            let value = args[index + 1]
            switch name.text {
            case "id":
                guard let v = unsigned(node, value, in: 0...255) else { return }
                settings.syncID = UInt32(v)
                settings.syncIDWasGiven = true
            case "maxlen":
                guard let v = unsigned(node, value, in: 1...65535 - 20 - 8) else { return }
                settings.maxLength = UInt16(v)
            case "port":
                guard let v = unsigned(node, value, in: 1...65535) else { return }
                settings.port = UInt16(v)
            case "ttl":
                guard let v = unsigned(node, value, in: 1...255) else { return }
                settings.ttl = UInt8(v)
            case "group":
                guard let v = address(node, value) else { return }
                settings.group = v
            default:
                invalid(node, name, "expected id, maxlen, port, ttl or group")
                return
            }
            index += 2
        }
        g.lvsSyncDaemon = settings
    }
}

/// global_defs keywords lvsd recognises but does not act upon.
enum GlobalKeywords {
    /// VRRP globals lvsd's VRRP acts on (through each instance's resolved settings).
    static let vrrpActedUpon: Set<String> = [
        "vrrp_version", "vrrp_mcast_group4", "vrrp_mcast_group6", "vrrp_garp_master_delay", "vrrp_garp_master_repeat",
        "vrrp_garp_master_refresh", "vrrp_garp_master_refresh_repeat", "vrrp_garp_lower_prio_delay",
        "vrrp_garp_lower_prio_repeat", "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_startup_delay", "vrrp_strict",
        "vrrp_down_timer_adverts", "smtp_alert_vrrp", "no_email_faults", "vrrp_notify_priority_changes",
    ]

    static let notActedUpon: Set<String> = [
        "email_faults",
        "vrrp_mcast_group4", "vrrp_mcast_group6", "vrrp_garp_master_delay", "vrrp_garp_master_repeat",
        "vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat", "vrrp_garp_master_refresh",
        "vrrp_garp_master_refresh_repeat", "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_min_garp",
        "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert", "vrrp_version", "vrrp_down_timer_adverts", "vrrp_iptables", "vrrp_ipsets",
        "vrrp_nftables", "vrrp_nftables_priority", "vrrp_nftables_ifindex", "vrrp_nftables_counters",
        "nftables_priority", "nftables_ifindex", "nftables_counters",
        "vrrp_check_unicast_src", "vrrp_skip_check_adv_addr", "vrrp_strict", "vrrp_priority", "checker_priority",
        "bfd_priority", "vrrp_no_swap", "checker_no_swap", "bfd_no_swap", "vrrp_rt_priority", "checker_rt_priority",
        "bfd_rt_priority", "vrrp_rlimit_rttime", "checker_rlimit_rttime", "bfd_rlimit_rttime", "vrrp_rlimit_rtime",
        "checker_rlimit_rtime", "bfd_rlimit_rtime", "vrrp_cpu_affinity", "checker_cpu_affinity", "bfd_cpu_affinity",
        "snmp_socket", "enable_snmp_keepalived", "enable_snmp_vrrp", "enable_snmp_checker", "enable_snmp_rfc",
        "enable_snmp_rfcv2", "enable_snmp_rfcv3", "enable_traps", "enable_dbus", "dbus_service_name",
        "dynamic_interfaces", "default_interface", "vrrp_netlink_cmd_rcv_bufs",
        "vrrp_netlink_cmd_rcv_bufs_force", "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
        "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force", "lvs_netlink_monitor_rcv_bufs",
        "lvs_netlink_monitor_rcv_bufs_force", "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force",
        "vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier", "vrrp_startup_delay", "log_unknown_vrids",
        "vrrp_log_unknown_vrids", "umask", "max_auto_priority", "min_auto_priority_delay", "startup_script",
        "startup_script_timeout", "shutdown_script", "shutdown_script_timeout", "reload_time_file", "reload_repeat",
        "reload_file", "config_save_dir", "data_use_instance", "tmp_config_directory",
        "instance", "network_namespace", "net_namespace", "namespace_with_ipsets", "use_pid_dir",
        "linkbeat_use_polling", "vrrp_garp_extra_if", "vrrp_process_name", "bfd_process_name", "process_names",
        "process_name", "fifo_write_vrrp_states_on_reload", "random_seed", "json_version", "iproute_usr_dir",
        "iproute_etc_dir", "local_name", "vrrp_track_process", "vrrp_ipset", "vrrp_iptables_chain",
        "notify_fifo_script_timeout", "vrrp_owner_ignore_priority", "vrrp_skip_check_adv_addr_instance",
        "checker_process_name", "config_copy_directory", "disable_local_igmp", "vrrp_use_ipvlan",
        "vrrp_strict_mode", "vrrp_startup_delay_time", "linkbeat_interfaces", "vrrp_vmac_garp_intvl", "nftables",
        "nftables_ipvs_priority", "nftables_ipvs_start_fwmark", "vmac_prefix", "vmac_addr_prefix", "include_check",
        "child_wait_time",
    ]
}
