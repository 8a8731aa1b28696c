import IPVSKit
import Testing
@testable import KeepalivedConfig

@Suite struct GlobalDefsTests {
    @Test func lvsRelevantKeywords() throws {
        let result = parse("""
            global_defs {
                router_id LVS_1
                lvs_flush
                lvs_flush_on_stop VS
                lvs_timeouts tcp 7200 tcpfin 120 udp 300
                lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82
                checker_log_all_failures
                rs_init_notifies
                no_checker_emails
                smtp_alert_checker off
                lvs_notify_fifo /run/lvs.fifo
                lvs_notify_fifo_script "/usr/bin/fifo-reader -x"
                reload_check_config
                lvsd_metrics_address 127.0.0.1:9100
            }
            vrrp_instance VI_1 {
                interface eth1
                virtual_router_id 9
            }
            """, strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let g = result.configuration.globalDefinitions
        #expect(g.routerID == "LVS_1")
        #expect(g.lvsFlush)
        #expect(g.lvsFlushOnStop == .virtualServers)
        #expect(g.lvsTimeouts == Timeouts(tcp: 7200, tcpFin: 120, udp: 300))
        let sync = try #require(g.lvsSyncDaemon)
        #expect(sync.interface == "eth1" && sync.vrrpInstance == "VI_1" && sync.syncID == 7)
        #expect(sync.maxLength == 1400 && sync.port == 8849 && sync.ttl == 2 && sync.group == ip("224.0.0.82"))
        #expect(g.checkerLogAllFailures && g.rsInitNotifies && g.noCheckerEmails)
        #expect(g.smtpAlertChecker == false)
        #expect(g.lvsNotifyFifo == "/run/lvs.fifo")
        #expect(g.lvsNotifyFifoScript?.arguments == ["/usr/bin/fifo-reader", "-x"])
        #expect(g.reloadCheckConfig == "")
        #expect(g.metricsAddress == MetricsAddress(address: ip("127.0.0.1"), port: 9100))
    }

    @Test func nftablesAndProcessNameAreRecorded() {
        let result = parse("global_defs {\n nftables_ipvs\n lvs_process_name checker\n}", strict: true)
        #expect(!result.hasErrors)
        let g = result.configuration.globalDefinitions
        #expect(g.nftablesIPVS)
        #expect(g.notActedUpon.map(\.keyword) == ["nftables_ipvs", "lvs_process_name"])
        #expect(g.keywordLocations["lvs_process_name"]?.line == 3)
    }

    @Test func flushOnStopWithoutArgumentAndPartialTimeouts() {
        let g = parse("global_defs {\n lvs_flush_on_stop\n lvs_timeouts udp 60\n}").configuration.globalDefinitions
        #expect(g.lvsFlushOnStop == .all)
        #expect(g.lvsTimeouts == Timeouts(tcp: 0, tcpFin: 0, udp: 60))
    }

    @Test func invalidGlobalValues() {
        for (line, word) in [("lvs_timeouts tcp", "tcp"), ("lvs_timeouts tcp x", "'x'"), ("lvs_timeouts foo 1", "'foo'"),
                             ("lvs_sync_daemon eth0 VI id 300", "'300'"), ("lvsd_metrics_address 127.0.0.1", "127.0.0.1"),
                             ("lvsd_metrics_address 1.2.3.4:0", "1.2.3.4:0"), ("lvs_flush_on_stop ALL", "ALL"),
                             ("smtp_connect_timeout x", "x")] {
            let result = parse("global_defs {\n\(line)\n}")
            #expect(result.errors.first?.location.line == 2, "\(line)")
            #expect(result.errors.first?.message.contains(word) == true, "\(line)")
        }
    }

    @Test func metricsAddressForms() {
        #expect(MetricsAddress("[::1]:9100") == MetricsAddress(address: ip("::1"), port: 9100))
        #expect(MetricsAddress("0.0.0.0:80")?.description == "0.0.0.0:80")
        #expect(MetricsAddress("::1:9100") == nil)
        #expect(MetricsAddress("[::1]9100") == nil)
        #expect(MetricsAddress("host:80") == nil)
    }

    @Test func mailSettingsAreParsedAndActedUpon() throws {
        let result = parse("""
            global_defs {
               notification_email {
                 a@example.com
                 b@example.com
               }
               notification_email_from lvs@example.com
               smtp_server 10.0.0.25 587
               smtp_helo_name director
               smtp_connect_timeout 30
               smtp_alert
            }
            """, strict: true)
        #expect(!result.hasErrors)
        let mail = result.configuration.globalDefinitions.mail
        #expect(mail.notificationEmail == ["a@example.com", "b@example.com"])
        #expect(mail.notificationEmailFrom == "lvs@example.com")
        #expect(mail.smtpServer == "10.0.0.25 587")
        #expect(mail.smtpHeloName == "director")
        #expect(mail.smtpConnectTimeout == .seconds(30))
        #expect(mail.smtpAlert == true)
        // lvsd sends the alerts: nothing is reported as not acted upon, and the settings are complete.
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    }

    @Test func mailSettingsThatCannotSendAreReported() {
        let noAddress = parse("global_defs {\n notification_email_from lvs@example.com\n smtp_server 10.0.0.25\n}")
        #expect(noAddress.diagnostics.map(\.location.line) == [3])
        #expect(noAddress.warnings.first?.message == "smtp_server is set but notification_email lists no address: no alert mail will be sent")
        let noServer = parse("global_defs {\n notification_email {\n ops@example.com\n }\n smtp_alert\n}")
        #expect(noServer.diagnostics.map(\.location.line) == [2])
        #expect(noServer.warnings.first?.message == "notification_email is set but there is no smtp_server: no alert mail will be sent")
        // Neither: keepalived sends nothing and says nothing, and so does lvsd.
        #expect(parse("global_defs {\n smtp_alert\n smtp_connect_timeout 5\n}").diagnostics.isEmpty)
    }

    @Test func vrrpTuningIsActedUponAndTheRestRecorded() {
        let result = parse("global_defs {\n vrrp_strict\n vrrp_garp_interval 0\n enable_snmp_checker\n}", strict: true)
        #expect(!result.hasErrors)
        #expect(result.configuration.globalDefinitions.vrrp.strict)
        #expect(result.configuration.globalDefinitions.notActedUpon.map(\.keyword) == ["enable_snmp_checker"])
        #expect(result.diagnostics.filter { $0.kind == .notActedUpon }.count == 1)
    }

    @Test func oldLvsIdIsADeprecatedRouterID() {
        let result = parse("global_defs {\n lvs_id LVS_DEVEL\n}", strict: true)
        #expect(!result.hasErrors)
        #expect(result.configuration.globalDefinitions.routerID == "LVS_DEVEL")
        #expect(result.diagnostics.first?.kind == .deprecated)
    }

    @Test func unknownGlobalKeyword() {
        let result = parse("global_defs {\n router_idd x\n}")
        #expect(result.warnings.first?.kind == .unknownKeyword)
        #expect(result.warnings.first?.location.line == 2)
        #expect(parse("global_defs {\n router_idd x\n}", strict: true).hasErrors)
    }

    @Test func globalSSLBlock() throws {
        let ssl = try #require(parse("SSL {\n password secret\n ca /etc/ca.pem\n certificate /etc/c.pem\n key /etc/k.pem\n}").configuration.ssl)
        #expect(ssl.password == "secret" && ssl.caFile == "/etc/ca.pem")
        #expect(ssl.certificateFile == "/etc/c.pem" && ssl.keyFile == "/etc/k.pem")
    }
}

@Suite struct IgnoredSectionTests {
    @Test func vrrpSectionsAreParsedInFullAndReportedOnceEach() throws {
        let result = parse("""
            vrrp_script chk {
                script "/usr/bin/killall -0 nginx"
                interval 2
                weight -5
            }
            vrrp_instance VI_1 {
                state MASTER
                interface eth0
                virtual_router_id 51
                authentication {
                    auth_type PASS
                    auth_pass 1111
                }
                virtual_ipaddress {
                    10.0.0.1/24 dev eth0 label eth0:1
                }
                track_script {
                    chk
                }
            }
            vrrp_instance VI_2 { state BACKUP
                interface eth1
                virtual_router_id 52 }
            vrrp_sync_group G { group { VI_1 VI_2 } }
            static_ipaddress {
                192.168.1.1/24 dev eth0
            }
            static_rules {
                from 10.0.0.0/8 table 100
            }
            """, strict: true)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        // VRRP sections are modelled now; only the sections lvsd does not model stay "ignored".
        #expect(result.configuration.ignoredSections.map(\.keyword) == ["static_rules"])
        #expect(result.configuration.ignoredSections.first?.location.line == 28)
        let vrrp = result.configuration.vrrp
        #expect(vrrp.scripts.map(\.name) == ["chk"] && vrrp.scripts.first?.interval == .seconds(2))
        #expect(vrrp.instances.map(\.name) == ["VI_1", "VI_2"])
        #expect(vrrp.instances.map(\.virtualRouterID) == [51, 52])
        #expect(vrrp.instances.first?.virtualAddresses.first?.label == "eth0:1")
        // VI_1 is in sync group G (without sync_group_tracking_weight): keepalived drops its weighted script.
        #expect(vrrp.instances.first?.trackScripts.isEmpty == true)
        #expect(result.warnings.contains { $0.location.line == 18 && $0.message.contains("ignoring tracked script chk with weights due to SYNC group") })
        #expect(vrrp.syncGroups.first?.members == ["VI_1", "VI_2"])
        #expect(vrrp.staticAddresses.map(\.device) == ["eth0"])
        let reports = result.diagnostics.filter { $0.kind == .notActedUpon }
        // VRRP instances, scripts, sync groups and static addresses are run; static_rules (line 28) is not.
        #expect(reports.map(\.location.line) == [28])
        #expect(reports.allSatisfy { $0.severity == .warning })
        // VI_2 has no VIP: keepalived's "at least one is sensible" for VRRPv2.
        #expect(result.warnings.contains { $0.location.line == 21 && $0.message.contains("no VIP specified") })
    }

    @Test func typoInsideVrrpInstanceIsAnUnknownKeyword() {
        let text = "vrrp_instance X {\n state MASTER\n stat BACKUP\n interface eth0\n virtual_router_id 1\n}"
        let result = parse(text)
        #expect(!result.hasErrors)
        #expect(result.warnings.contains { $0.kind == .unknownKeyword && $0.location.line == 3 })
        #expect(parse(text, strict: true).errors.first?.location.line == 3)
    }

    @Test func unknownTopLevelSectionIsSkippedWithItsBlock() {
        let result = parse("mystery_section {\n virtual_server 10.0.0.1 80 {\n }\n}\n")
        #expect(result.configuration.virtualServers.isEmpty)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.contains("mystery_section") == true)
        #expect(result.diagnostics.first?.message.contains("skipped") == true)
    }
}
