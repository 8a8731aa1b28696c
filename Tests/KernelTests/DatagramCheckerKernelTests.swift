import Foundation
import Glibc
import Testing

/// UDP_CHECK, DNS_CHECK and PING_CHECK against real peers in a network namespace (python3 UDP servers that echo or
/// stay silent, a port nothing listens on, Debian's dnsmasq, addresses that answer ICMP and one routed into a
/// dummy device that drops it), run by lvsd and by keepalived 2.2.7 on the same configuration: both must end with
/// the same IPVS table, and log keepalived's lines for the same checkers.
@Suite("Kernel: UDP, DNS and PING checkers side by side with keepalived", .serialized)
struct DatagramCheckerKernelTests {
    enum Daemon: String, CaseIterable {
        /// lvsd where ping sockets are refused (a new namespace's `ping_group_range` is `1 0`): raw ICMP sockets.
        case lvsd
        /// lvsd where ping sockets are allowed: unprivileged ICMP sockets.
        case lvsdPingSockets
        case keepalived
    }

    /// UDP servers: `echo` sends each datagram back, `silent` reads and never answers; one socket per port.
    static let udpServer = """
        import selectors, socket, sys
        mode, host = sys.argv[1], sys.argv[2]
        sel = selectors.DefaultSelector()
        for port in sys.argv[3:]:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((host, int(port)))
            sel.register(s, selectors.EVENT_READ)
        print("ready", flush=True)
        while True:
            for key, _ in sel.select():
                data, peer = key.fileobj.recvfrom(65536)
                if mode == "echo":
                    key.fileobj.sendto(data, peer)
        """

    static let config = """
        virtual_server 10.10.0.1 53 {
            delay_loop 1
            lvs_sched rr
            lvs_method NAT
            protocol UDP
            # echoes "hello": the reply matches the pattern (X is a wildcard nibble)
            real_server 10.10.0.2 5001 {
                UDP_CHECK {
                    connect_timeout 1
                    payload 68 65 6c 6c 6f
                    require_reply 68 65 6X
                }
            }
            # nothing listens: ICMP port unreachable
            real_server 10.10.0.3 5001 {
                UDP_CHECK {
                    connect_timeout 1
                }
            }
            # silent, a reply required: timeout
            real_server 10.10.0.4 5002 {
                UDP_CHECK {
                    connect_timeout 1
                    require_reply
                }
            }
            # silent, no reply required: up
            real_server 10.10.0.4 5003 {
                UDP_CHECK {
                    connect_timeout 1
                }
            }
            # echoes keepalived's default payload, which the pattern 00 does not match
            real_server 10.10.0.2 5004 {
                UDP_CHECK {
                    connect_timeout 1
                    require_reply 00
                }
            }
        }
        virtual_server 10.10.0.1 5353 {
            delay_loop 1
            lvs_sched rr
            lvs_method NAT
            protocol UDP
            # dnsmasq knows ok.test
            real_server 10.10.0.5 53 {
                DNS_CHECK {
                    connect_timeout 1
                    type A
                    name ok.test
                }
            }
            # the default query (SOA for the root) to a dnsmasq without upstream servers: REFUSED (rcode 5)
            real_server 10.10.0.6 53 {
                DNS_CHECK {
                    connect_timeout 1
                    connect_ip 10.10.0.5
                }
            }
            # no DNS server
            real_server 10.10.0.7 53 {
                DNS_CHECK {
                    connect_timeout 1
                }
            }
        }
        virtual_server 10.10.0.1 80 {
            delay_loop 1
            lvs_sched rr
            lvs_method DR
            protocol TCP
            real_server 10.10.0.2 80 {
                PING_CHECK {
                    connect_timeout 1
                }
            }
            # routed into a dummy device: the echo is dropped
            real_server 10.10.9.9 80 {
                PING_CHECK {
                    connect_timeout 1
                }
            }
        }
        virtual_server fd00::1 80 {
            delay_loop 1
            lvs_sched rr
            lvs_method DR
            protocol TCP
            real_server fd00::2 80 {
                PING_CHECK {
                    connect_timeout 1
                }
            }
            real_server fd00:9::9 80 {
                PING_CHECK {
                    connect_timeout 1
                }
            }
        }

        """

    /// The table both daemons must end with.
    static let expected: Set<String> = [
        "-A -u 10.10.0.1:53 -s rr",
        "-a -u 10.10.0.1:53 -r 10.10.0.2:5001 -m -w 1",
        "-a -u 10.10.0.1:53 -r 10.10.0.4:5003 -m -w 1",
        "-A -u 10.10.0.1:5353 -s rr",
        "-a -u 10.10.0.1:5353 -r 10.10.0.5:53 -m -w 1",
        "-A -t 10.10.0.1:80 -s rr",
        "-a -t 10.10.0.1:80 -r 10.10.0.2:80 -g -w 1",
        "-A -t [fd00::1]:80 -s rr",
        "-a -t [fd00::1]:80 -r [fd00::2]:80 -g -w 1",
    ]

    /// Lines both daemons log (keepalived's wording).
    static let lines = [
        "UDP connection to [10.10.0.2]:udp:5001 success.",
        "UDP_CHECK on service [10.10.0.3]:udp:5001 failed.",
        "UDP_CHECK on service [10.10.0.4]:udp:5002 failed.",
        "UDP_CHECK on service [10.10.0.2]:udp:5004 failed.",
        "DNS_CHECK ([10.10.0.7]:udp:53) failed to read socket; errno 111 (Connection refused)",
        "DNS_CHECK ([10.10.0.6]:udp:53) read error occurred. (rcode = 5)",
        "ICMP connection to [10.10.0.2]:tcp:80 success.",
        "ICMP CHECK on service [10.10.9.9]:tcp:80 failed.",
        "ICMP CHECK on service [fd00:9::9]:tcp:80 failed.",
    ]

    @Test(arguments: Daemon.allCases)
    func finalTableMatchesKeepalived(_ which: Daemon) throws {
        let ns = try TestNamespace("dgram-\(which.rawValue.prefix(6))")
        let dir = try scratchDirectory("dgram-\(which.rawValue)")
        for a in ["10.10.0.1", "10.10.0.2", "10.10.0.3", "10.10.0.4", "10.10.0.5", "10.10.0.6", "10.10.0.7"] {
            try ns.exec("/sbin/ip", ["addr", "add", "\(a)/32", "dev", "lo"])
        }
        for a in ["fd00::1", "fd00::2"] { try ns.exec("/sbin/ip", ["-6", "addr", "add", "\(a)/128", "dev", "lo", "nodad"]) }
        // Echoes to these addresses vanish: a dummy device drops what it is given.
        try ns.exec("/sbin/ip", ["link", "add", "drop0", "type", "dummy"])
        try ns.exec("/sbin/ip", ["link", "set", "drop0", "up"])
        try ns.exec("/sbin/ip", ["route", "add", "10.10.9.9/32", "dev", "drop0"])
        try ns.exec("/sbin/ip", ["-6", "route", "add", "fd00:9::9/128", "dev", "drop0"])
        if which == .lvsdPingSockets {
            #expect(try ns.exec("/sbin/sysctl", ["-qw", "net.ipv4.ping_group_range=0 2147483647"]).status == 0)
        }

        try Self.udpServer.write(toFile: "\(dir)/udp.py", atomically: true, encoding: .utf8)
        let echo = try Background(ns, "/usr/bin/python3", ["\(dir)/udp.py", "echo", "10.10.0.2", "5001", "5004"],
                                  log: "\(dir)/echo.log")
        let silent = try Background(ns, "/usr/bin/python3", ["\(dir)/udp.py", "silent", "10.10.0.4", "5002", "5003"],
                                    log: "\(dir)/silent.log")
        let dns = try Background(ns, "/usr/sbin/dnsmasq", [
            "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
            "--listen-address=10.10.0.5", "--port=53", "--address=/ok.test/10.9.9.9", "--user=root",
            "--pid-file=\(dir)/dnsmasq.pid", "--log-facility=-",
        ], log: "\(dir)/dnsmasq.log")
        #expect(waitUntil(20) { echo.log.contains("ready") && silent.log.contains("ready") }, "\(echo.log) \(silent.log)")
        // dnsmasq logs "started" once its sockets are bound.
        #expect(waitUntil(20) { dns.log.contains("started") }, "dnsmasq: \(dns.log)")
        step("\(which): peers ready")

        let configPath = "\(dir)/keepalived.conf"
        try Self.config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let daemon: Background = switch which {
        case .lvsd, .lvsdPingSockets:
            try Background(ns, productPath("lvsd"), ["-n", "-l", "-f", configPath, "-p", "\(dir)/lvsd.pid",
                                                     "--control-socket", "\(dir)/lvsd.sock"], log: "\(dir)/daemon.log")
        case .keepalived:
            try Background(ns, "keepalived", ["-n", "-l", "-C", "-f", configPath, "-p", "\(dir)/ka.pid",
                                              "-c", "\(dir)/ka-check.pid", "--vrrp_pid", "\(dir)/ka-vrrp.pid"],
                           log: "\(dir)/daemon.log")
        }
        defer { daemon.stop(SIGTERM) }
        step("\(which): daemon started")

        let reached = try waitUntil(40) { try savedTable(ns) == Self.expected }
        step("\(which): table reached: \(reached)")
        let table = try savedTable(ns)
        #expect(reached, "\(which): \(table.sorted())\n\(daemon.log)")
        // The table holds: the checkers keep passing and failing as they did (no flapping).
        Thread.sleep(forTimeInterval: 4)
        #expect(try savedTable(ns) == Self.expected, "\(which): \(daemon.log)")
        for line in Self.lines {
            #expect(daemon.log.contains(line), "\(which) did not log '\(line)':\n\(daemon.log)")
        }
        #expect(!daemon.log.contains("not run by lvsd") && !daemon.log.contains("not acted upon"), "\(daemon.log)")
    }

    /// A progress line on standard error (the VM's log shows where a stuck run stopped).
    private func step(_ text: String) {
        FileHandle.standardError.write(Data("dgram: \(text)\n".utf8))
    }
}
