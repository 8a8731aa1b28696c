import IPVSAdm
import IPVSKit
import Testing

/// Refusals, with the stderr text and exit status ipvsadm 1.31 gives (recorded from Debian's ipvsadm in the VM).
struct ParserErrorTests {
    struct Case: Sendable, CustomStringConvertible {
        var args: String
        var message: String
        var status: Int32
        var description: String { args }
    }

    static let cases: [Case] = [
        Case(args: "--foo", message: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", status: 255),
        Case(args: "-t 10.0.0.1:80", message: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", status: 255),
        Case(args: "--add-serv -t 10.0.0.1:80", message: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", status: 255),
        Case(args: "foo", message: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", status: 255),
        Case(args: "-A --foo", message: "--foo: unknown option\n", status: 255),
        Case(args: "-A -t", message: "-t: missing argument\n", status: 255),
        Case(args: "-A -t 10.0.0.1:80 -s", message: "-s: missing argument\n", status: 255),
        Case(args: "-lnx", message: "-lnx: missing argument\n", status: 255),
        Case(args: "-A -t 10.0.0.1:80 -p foo", message: "invalid timeout value `foo' specified\n", status: 2),
        Case(args: "-A -a", message: "invalid option `-a'\n", status: 2),
        Case(args: "-A -h", message: "invalid option `-h'\n", status: 2),
        Case(args: "-A -t 10.0.0.1:80 extra", message: "unexpected argument extra\n", status: 2),
        Case(args: "-A", message: "You need to supply the 'service-address' option for the 'add-service' command\n", status: 2),
        Case(args: "-A -t 10.0.0.3:0", message: "Zero port specified for non-persistent service\n", status: 2),
        Case(args: "-A -t ::1", message: "Zero port specified for non-persistent service\n", status: 2),
        Case(args: "-A -t 10.0.0.3:53 -o", message: "One-Packet Scheduling is only for UDP virtual services\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 -w -1", message: "illegal weight specified\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 -w 2147483648", message: "illegal weight specified\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 -x abc", message: "illegal u_threshold specified\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 --tun-type gue", message: "Tunnel options conflict with forward method\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 -i --tun-type gue", message: "You need to supply the 'tun-port' option for the 'gue' tunnel type\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 -i --tun-type gre --tun-port 5", message: "Illegal 'tun-port' option with the 'gre' tunnel type\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 -i --tun-type gue --tun-port 5 --tun-csum --tun-remcsum",
             message: "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r 10.0.0.5 -i --tun-type foo", message: "illegal tunnel type specified\n", status: 2),
        Case(args: "-a -t 10.0.0.1:80 -r ::1 -m", message: "Different address family is allowed only for tunneling servers\n", status: 2),
        Case(args: "-D -t 10.0.0.9:80 -s rr", message: "Illegal 'scheduler' option with the 'delete-service' command\n", status: 2),
        Case(args: "-A -f 0", message: "invalid fwmark value `0' specified\n", status: 2),
        Case(args: "-A -f -1", message: "invalid fwmark value `-1' specified\n", status: 2),
        Case(args: "-A -f 4294967296", message: "invalid fwmark value `4294967296' specified\n", status: 2),
        Case(args: "-A -f abc", message: "invalid fwmark value `abc' specified\n", status: 2),
        Case(args: "-A -6 -f 5", message: "-6 used before -f\n\n", status: 2),
        Case(args: "-A -t 10.0.0.1:nosuchsvc", message: "illegal virtual server address[:port] specified\n", status: 2),
        Case(args: "-A -t [::1]80", message: "illegal virtual server address[:port] specified\n", status: 2),
        Case(args: "-A -t 80", message: "illegal virtual server address[:port] specified\n", status: 2),
        Case(args: "-A -t 1.2.3.4:99999", message: "illegal virtual server address[:port] specified\n", status: 2),
        Case(args: "-a -t 1.2.3.4:80 -r 1.2.3.5:99999", message: "illegal real server address[:port] specified\n", status: 2),
        Case(args: "-A -t 10.0.0.7:81 -p -M 255.255.0.0 -b sh-port", message: "incompatible scheduler flag `sh-port'\n", status: 2),
        Case(args: "-A -t 10.0.0.7:82 -s sh -b sh-port,foo", message: "invalid scheduler flag `foo'\n", status: 2),
        Case(args: "-A -t [2001:db8::1]:80 -p -M 200", message: "illegal ipv6 netmask specified\n", status: 2),
        Case(args: "-A -t 10.0.0.1:80 -p -M 1.2.3.4.5", message: "illegal virtual server persistent mask specified\n", status: 2),
        Case(args: "-L -c --stats", message: "options conflicts in the list command\n", status: 2),
        Case(args: "-L --timeout --daemon", message: "The option 'daemon' conflicts with the 'timeout' option in the 'list' command\n", status: 2),
        Case(args: "-L --timeout --persistent-conn", message: "options conflicts in the list command\n", status: 2),
        Case(args: "--set 1 2", message: "--set option requires 3 timeout values\n", status: 2),
        Case(args: "--set 1 2 3 4", message: "unexpected argument 4\n", status: 2),
        Case(args: "--set a 2 3", message: "invalid timeout value `a' specified\n", status: 2),
        Case(args: "--start-daemon foo", message: "illegal start-daemon parameter specified\n", status: 2),
        Case(args: "--stop-daemon foo", message: "illegal start_daemon specified\n", status: 2),
        Case(args: "--start-daemon master --mcast-interface lo --syncid 300", message: "illegal syncid specified\n", status: 2),
        Case(args: "--start-daemon master --mcast-group 10.0.0.1", message: "invalid IPv4 mcast-group `10.0.0.1'\n", status: 2),
        Case(args: "-C -n", message: "Illegal 'numeric' option with the 'flush' command\n", status: 2),
        Case(args: "-R -n", message: "Illegal 'numeric' option with the 'restore' command\n", status: 2),
        Case(args: "-S -n -n", message: "multiple 'numeric' options specified\n", status: 2),
        Case(args: "-Ln --numeric=1", message: "--numeric=1: option does not take an argument\n", status: 255),
    ]

    @Test(arguments: cases)
    func refusal(_ c: Case) {
        let parser = CommandLineParser(resolver: NumericResolver())
        let words = c.args.split(separator: " ").map(String.init)
        #expect(throws: AdmFailure(message: c.message, status: c.status, endsRestore: c.status == 2 || c.message.hasPrefix("Try")),
                performing: { _ = try parser.parse(words) })
    }

    @Test func negativeFirewallMarksOnlyWhenAllowed() throws {
        let strict = CommandLineParser(resolver: NumericResolver())
        #expect(throws: AdmFailure.self) { _ = try strict.parse(["-A", "-f", "-2147483648"]) }
        let lenient = CommandLineParser(resolver: NumericResolver(), acceptsNegativeFirewallMarks: true)
        guard case .command(let ce) = try lenient.parse(["-A", "-f", "-2147483648", "-s", "rr"]) else {
            Issue.record("not a command")
            return
        }
        #expect(ce.service.key == .firewallMark(0x8000_0000, family: .inet))
        #expect(throws: AdmFailure.self) { _ = try lenient.parse(["-A", "-f", "-2147483649"]) }
    }
}
