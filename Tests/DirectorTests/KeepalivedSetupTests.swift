import Director
import HealthCheck
import IPVSKit
import KeepalivedConfig
import Testing

@Suite("KeepalivedSetup: specs first, checker plan after")
struct KeepalivedSetupTests {
    static let config = """
        virtual_server 10.0.0.1 80 {
            protocol TCP
            lvs_method NAT
            real_server 10.0.0.2 8080 {
                TCP_CHECK {
                    connect_timeout 3
                }
                HTTP_GET {
                    url {
                        path /health
                    }
                }
            }
            real_server 10.0.0.3 8080 {
                BFD_CHECK {
                }
                TCP_CHECK {
                }
            }
        }
        virtual_server fwmark 5 {
            protocol TCP
            lvs_method DR
            real_server 10.0.0.2 0 {
                TCP_CHECK {
                    connect_port 443
                }
            }
        }
        """

    func setup() throws -> KeepalivedSetup {
        let result = KeepalivedConfigParser.parse(text: Self.config, file: "setup.conf")
        #expect(!result.hasErrors)
        return KeepalivedSetup(configuration: result.configuration)
    }

    @Test func everyRunCheckIsPlannedAndRoutedToItsRealServer() throws {
        let setup = try setup()
        #expect(setup.checks.count == 4)
        #expect(setup.notRun.count == 1)
        #expect(setup.notRun.first?.hasPrefix("setup.conf:") == true)
        let plan = setup.checkerPlan()
        // keepalived's names: the virtual server, the real server with its protocol, the checker's position.
        #expect(plan.checkers.map { "\($0.id.virtualServer) \($0.id.realServer) \($0.id.index)" } == [
            "[10.0.0.1]:tcp:80 [10.0.0.2]:tcp:8080 0",
            "[10.0.0.1]:tcp:80 [10.0.0.2]:tcp:8080 1",
            "[10.0.0.1]:tcp:80 [10.0.0.3]:tcp:8080 1",
            "FWM 5 [10.0.0.2]:tcp:0 0",
        ])
        #expect(plan.routes.count == 4)
        let specs = Dictionary(uniqueKeysWithValues: setup.virtualServers.flatMap { vs in
            vs.realServers.map { (RealServerID(vs.id, $0.address, $0.port), $0) }
        })
        for checker in plan.checkers {
            let route = try #require(plan.routes[checker.id])
            // The route names a real server of the specs, and one of that real server's checkers.
            let rs = try #require(specs[route.realServer])
            #expect(rs.checkers.map(\.id).contains(route.checker))
            #expect(checker.id.realServer == "[\(rs.address)]:tcp:\(rs.port)")
        }
        // The fwmark service's checker probes the connect_port, not the real server's port.
        guard case .tcp(let tcp) = plan.checkers[3].spec.probe else {
            Issue.record("expected a TCP probe")
            return
        }
        #expect(tcp.target.port == 443)
    }

    @Test func planIsTheSameForTheSameConfiguration() throws {
        let a = try setup(), b = try setup()
        #expect(a.checkerPlan().checkers == b.checkerPlan().checkers)
        #expect(a.virtualServers == b.virtualServers)
    }

    @Test func udpDNSAndPingChecksArePlannedWithTheirSettings() throws {
        let text = """
            virtual_server 10.0.0.1 53 {
                protocol UDP
                lvs_method NAT
                real_server 10.0.0.2 53 {
                    UDP_CHECK {
                        payload 01 02
                        require_reply 0X
                        connect_timeout 2
                    }
                    DNS_CHECK {
                        type A
                        name example.com
                        connect_port 5353
                    }
                    PING_CHECK {
                    }
                    BFD_CHECK {
                    }
                }
            }
            """
        let result = KeepalivedConfigParser.parse(text: text, file: "udp.conf")
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let setup = KeepalivedSetup(configuration: result.configuration)
        #expect(setup.notRun.count == 1 && setup.notRun.first?.contains("BFD_CHECK") == true)
        let probes = setup.checks.map(\.spec.probe)
        #expect(probes.map(\.kind) == [.udp, .dns, .ping])
        guard probes.count == 3, case .udp(let udp) = probes[0], case .dns(let dns) = probes[1],
              case .ping(let ping) = probes[2] else {
            Issue.record("unexpected probes \(probes)")
            return
        }
        #expect(udp.datagram == [1, 2] && udp.requireReply && udp.reply == ReplyPattern(bytes: [0], wildcards: [0x0F]))
        #expect(udp.connectTimeout == .seconds(2) && udp.target == CheckTarget(host: "10.0.0.2", port: 53))
        #expect(dns.type == .a && dns.name == "example.com" && dns.target.port == 5353)
        #expect(ping.target.host == "10.0.0.2")
        #expect(setup.checks[1].spec.timers.retry == 3)
        #expect(setup.checkerPlan().checkers.map(\.id.realServer) == Array(repeating: "[10.0.0.2]:udp:53", count: 3))
    }

    @Test func smtpHostsAreCheckersOfTheirOwnAndFileChecksAddToTheWeight() throws {
        let text = """
            track_file tf {
                file /run/tf
                weight 2
            }
            virtual_server 10.0.0.1 25 {
                protocol TCP
                lvs_method DR
                real_server 10.0.0.2 25 {
                    weight 5
                    SMTP_CHECK {
                        helo_name me.test
                        host {
                            connect_ip 10.0.0.3
                        }
                        host {
                            connect_ip 10.0.0.4
                            connect_port 2525
                        }
                    }
                    FILE_CHECK {
                        track_file tf
                    }
                    TCP_CHECK {
                    }
                }
            }
            """
        let result = KeepalivedConfigParser.parse(text: text, file: "smtp.conf")
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let setup = KeepalivedSetup(configuration: result.configuration)
        #expect(setup.notRun.isEmpty)
        let plan = setup.checkerPlan()
        #expect(plan.checkers.map(\.id.index) == [0, 1, 2, 3])
        #expect(plan.checkers.map(\.spec.probe.kind) == [.smtp, .smtp, .file, .tcp])
        guard plan.checkers.count == 4, case .smtp(let first) = plan.checkers[0].spec.probe,
              case .smtp(let second) = plan.checkers[1].spec.probe, case .file(let file) = plan.checkers[2].spec.probe
        else {
            Issue.record("unexpected probes")
            return
        }
        #expect(first.target == CheckTarget(host: "10.0.0.3", port: 25) && first.heloName == "me.test")
        #expect(second.target == CheckTarget(host: "10.0.0.4", port: 2525) && second.serverName == "[10.0.0.4]:2525")
        #expect(file.path == "/run/tf" && file.weight == 2 && file.baseWeight == 5)
        #expect(plan.checkers[2].spec.timers.delayLoop == .seconds(1))
        // Four checkers of one real server: all must be up for it to be alive.
        #expect(setup.virtualServers.first?.realServers.first?.checkers.count == 4)
    }
}
