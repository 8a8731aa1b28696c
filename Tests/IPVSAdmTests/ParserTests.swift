import IPVSAdm
import IPVSKit
import Testing

struct ParserTests {
    let parser = CommandLineParser(resolver: NumericResolver())

    func command(_ args: String) throws -> ParsedCommand {
        guard case .command(let c) = try parser.parse(args.split(separator: " ").map(String.init)) else {
            throw AdmFailure(message: "not a command", status: 0, endsRestore: false)
        }
        return c
    }

    @Test func groupedShortFlags() throws {
        let c = try command("-Ln")
        #expect(c.command == .list)
        #expect(c.format == .numeric)
    }

    @Test func joinedAndLongForms() throws {
        let a = try command("-A -t10.0.0.8:80 -srr")
        #expect(a.service.key == .address(.tcp, .v4(0x0A00_0008), port: 80))
        #expect(a.service.scheduler == "rr")
        let b = try command("--add-service --tcp-service=10.0.0.9:80 --scheduler=rr -p600")
        #expect(b.service.timeout == 600)
        #expect(b.service.flags & 1 == 1)
        let c = try command("-A -t 10.0.0.9:80 -s=wrr")
        #expect(c.service.scheduler == "wrr")
    }

    @Test func optionalPersistenceTimeout() throws {
        #expect(try command("-A -t 10.0.0.1:80 -p -s rr").service.timeout == 360)
        #expect(try command("-A -t 10.0.0.1:80 -p 600 -s rr").service.timeout == 600)
        #expect(try command("-A -t 10.0.0.1:80 -s rr -p").service.timeout == 360)
    }

    @Test func defaultsAndOperations() throws {
        let a = try command("-A -t 10.0.0.1:80")
        #expect(a.operation == .addService(Service(key: .address(.tcp, .v4(0x0A00_0001), port: 80), scheduler: "wlc")))
        let d = try command("-a -t 10.0.0.1:80 -r 10.0.0.2:8080")
        // Direct routing (the default) forces the service's port.
        #expect(d.destination.port == 80)
        #expect(d.destination.forwarding == .route)
        #expect(d.destination.weight == 1)
        let m = try command("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5 -x 10 -y 2")
        #expect(m.destination.port == 8080)
        #expect(m.operation == .addDestination(
            Destination(address: .v4(0x0A00_0002), port: 8080, forwarding: .masquerade, weight: 5, upperThreshold: 10, lowerThreshold: 2),
            service: .address(.tcp, .v4(0x0A00_0001), port: 80)))
        let z = try command("-Z")
        #expect(z.operation == .zero(nil))
    }

    @Test func ipv6AndFirewallMarks() throws {
        let v6 = try command("-A -u [2001:db8::1]:53 -s sh -b sh-port,sh-fallback -p 100 -M 48 --pe sip")
        #expect(v6.service.family == .inet6)
        #expect(v6.service.netmask == 48)
        #expect(v6.service.flags == 0x01 | 0x08 | 0x10)
        #expect(v6.service.persistenceEngine == "sip")
        let fw = try command("-A -f 3000000000 -6 -s mh -b mh-port")
        #expect(fw.service.key == .firewallMark(3_000_000_000, family: .inet6))
        // -M is read as an IPv4 mask before an IPv6 address resets it, as in ipvsadm.
        let early = try command("-A -p -M 255.255.0.0 -t 10.0.0.1:80")
        #expect(early.service.netmask == 0xFFFF_0000)
    }

    @Test func inetAtonForms() throws {
        // ipvsadm parses IPv4 with inet_aton, so short forms are accepted.
        #expect(try command("-A -t 10.1:80").service.address == .v4(0x0A00_0001))
        // A bracketed IPv4 address: the port is lost, as in ipvsadm.
        #expect(try command("-D -t [1.2.3.4]:80").service.port == 0)
    }

    @Test func timeoutsAndDaemons() throws {
        let s = try command("--set 900 120 300")
        #expect(s.operation == .setTimeouts(Timeouts(tcp: 900, tcpFin: 120, udp: 300)))
        let d = try command("--start-daemon backup --syncid 5 --mcast-group 239.1.1.1 --mcast-port 9000 --mcast-ttl 3")
        #expect(d.daemon.state == .backup)
        #expect(d.daemon.interface == "eth0")
        #expect(d.daemon.group == .v4(0xEF01_0101))
        #expect(d.daemon.port == 9000)
        #expect(d.daemon.ttl == 3)
    }

    @Test func helpAndVersion() throws {
        #expect(try parser.parse(["-h"]) == .help)
        #expect(try parser.parse(["--version"]) == .version)
        #expect(Usage.text(program: "ipvsadm").hasPrefix("ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\nUsage:\n  ipvsadm -A|E"))
    }
}
