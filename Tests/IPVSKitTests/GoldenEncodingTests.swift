import Testing
@testable import IPVSKit

/// IPVSKit's requests against the bytes ipvsadm 1.31 sent for the same command (captured through nlmon in the VM).
@Suite("Golden bytes: encoding matches ipvsadm")
struct GoldenEncodingTests {
    static let vip = ServiceKey.address(.tcp, ip("10.0.0.1"), port: 80)

    static let services: [(String, IPVSOperation)] = [
        ("add-service-tcp", .addService(Service(key: vip, scheduler: "rr"))),
        ("add-service-udp6-persistent", .addService(Service(key: .address(.udp, ip("2001:db8::1"), port: 53), scheduler: "wlc", persistenceTimeout: 600, netmask: 64))),
        ("add-service-fwmark-sh-flags", .addService(Service(key: .firewallMark(7, family: .inet), scheduler: "sh", flags: [.scheduler1, .scheduler2]))),
        ("add-service-persistent-mask-pe", .addService(Service(key: .address(.udp, ip("10.0.0.3"), port: 5060), scheduler: "rr", persistenceTimeout: 60, netmask: 0xFFFF_FF00, persistenceEngine: "sip"))),
        ("add-service-sctp-ops", .addService(Service(key: .address(.sctp, ip("10.0.0.4"), port: 3868), scheduler: "mh", flags: [.scheduler2]))),
        ("edit-service", .editService(Service(key: vip, scheduler: "wrr"))),
    ]

    /// Whole messages after the 16-byte netlink header (sequence and port differ between runs).
    @Test(arguments: services.map(\.0))
    func serviceRequests(_ name: String) throws {
        let op = try #require(Self.services.first { $0.0 == name }?.1)
        let f = try Fixture(name)
        let theirs = try #require(f.request(command: op.command.rawValue), "no \(op.command) request in \(name)")
        let ours = encode(op, family: try #require(f.familyID))
        #expect(Array(ours.dropFirst(16)) == Array(theirs.dropFirst(16)))
        #expect(ours.count == theirs.count)
    }

    static let destinations: [(String, IPVSOperation)] = [
        ("add-dest-route", .addDestination(Destination(address: ip("192.168.1.2"), port: 80, forwarding: .route, weight: 5), service: vip)),
        ("add-dest-masq-thresholds", .addDestination(Destination(address: ip("192.168.1.3"), port: 8080, forwarding: .masquerade, weight: 2, upperThreshold: 100, lowerThreshold: 10), service: vip)),
        ("add-dest-tunnel-gue", .addDestination(Destination(address: ip("192.168.1.4"), port: 80, forwarding: .tunnel, tunnel: TunnelSettings(type: .gue, port: 6080, checksum: .checksum)), service: vip)),
        ("add-dest-tunnel-gre", .addDestination(Destination(address: ip("192.168.1.5"), port: 80, forwarding: .tunnel, tunnel: TunnelSettings(type: .gre, checksum: .none)), service: vip)),
        ("add-dest-tunnel-ipip", .addDestination(Destination(address: ip("192.168.1.6"), port: 80, forwarding: .tunnel), service: vip)),
        ("add-dest-v6", .addDestination(Destination(address: ip("2001:db8::10"), port: 53, forwarding: .masquerade, weight: 3), service: .address(.udp, ip("2001:db8::1"), port: 53))),
        ("edit-dest-weight", .editDestination(Destination(address: ip("192.168.1.2"), port: 80, forwarding: .route, weight: 9), service: vip)),
    ]

    /// The destination nest byte for byte; the service nest's identity attributes likewise (ipvsadm also sends an
    /// empty scheduler, flags, timeout and netmask there, which the kernel ignores for destination commands).
    @Test(arguments: destinations.map(\.0))
    func destinationRequests(_ name: String) throws {
        let op = try #require(Self.destinations.first { $0.0 == name }?.1)
        let f = try Fixture(name)
        let theirs = try #require(f.request(command: op.command.rawValue))
        let ours = encode(op, family: try #require(f.familyID))
        #expect(nest(2, in: ours) == nest(2, in: theirs))
        let ourService = try #require(nest(1, in: ours))
        let theirService = try #require(nest(1, in: theirs))
        // AF, PROTOCOL, ADDR and PORT lead both nests: 4 + 8 + 8 + 20 + 8 bytes.
        #expect(Array(ourService.dropFirst(4).prefix(44)) == Array(theirService.dropFirst(4).prefix(44)))
    }

    @Test func timeouts() throws {
        let f = try Fixture("set-timeouts")
        let theirs = try #require(f.request(command: IPVSCommand.setConfig.rawValue))
        let ours = encode(.setTimeouts(Timeouts(tcp: 900, tcpFin: 120, udp: 300)), family: try #require(f.familyID))
        #expect(Array(ours.dropFirst(16)) == Array(theirs.dropFirst(16)))
    }

    @Test func startDaemon() throws {
        let f = try Fixture("start-daemon")
        let theirs = try #require(f.request(command: IPVSCommand.newDaemon.rawValue))
        let ours = encode(.startDaemon(SyncDaemon(state: .master, interface: "lo", syncID: 5)), family: try #require(f.familyID))
        #expect(Array(ours.dropFirst(16)) == Array(theirs.dropFirst(16)))
    }

    @Test func stopDaemonCarriesTheState() throws {
        let f = try Fixture("stop-daemon")
        let theirs = try #require(f.request(command: IPVSCommand.deleteDaemon.rawValue))
        let ours = encode(.stopDaemon(.master), family: try #require(f.familyID))
        let theirNest = try #require(nest(3, in: theirs))
        let ourNest = try #require(nest(3, in: ours))
        // DAEMON_ATTR_STATE leads both.
        #expect(Array(ourNest.dropFirst(4).prefix(8)) == Array(theirNest.dropFirst(4).prefix(8)))
    }

    /// A batch written into one writer, past its initial capacity, is the messages one after another.
    @Test func batchGrowsPastItsCapacityAndEqualsSingleMessages() {
        var ops: [IPVSOperation] = []
        for i in 0..<300 {
            if i % 3 == 0 {
                let key = ServiceKey.address(.udp, .v6(0x2001_0db8_0000_0000, UInt64(i)), port: UInt16(i))
                ops.append(.addService(Service(key: key, scheduler: "wlc", persistenceEngine: "sip")))
            } else {
                let d = Destination(address: .v4(0x0A00_0000 + UInt32(i)), port: UInt16(i), forwarding: .tunnel, weight: Int32(i))
                ops.append(.addDestination(d, service: Self.vip))
            }
        }
        var w = NetlinkWriter(capacity: 0)
        var expected: [UInt8] = []
        for (i, op) in ops.enumerated() {
            op.encode(into: &w, family: 42, sequence: UInt32(i), port: 7)
            var single = NetlinkWriter()
            op.encode(into: &single, family: 42, sequence: UInt32(i), port: 7)
            expected += single.bytes
            #expect(single.bytes.count % 4 == 0)
        }
        #expect(w.bytes == expected)
        #expect(expected.count > 300 * 40)
    }

    @Test func flushAndZeroHaveNoAttributes() throws {
        for (name, op) in [("flush", IPVSOperation.flush), ("zero-all", .zero(nil))] {
            let f = try Fixture(name)
            let theirs = try #require(f.request(command: op.command.rawValue))
            #expect(Array(encode(op, family: try #require(f.familyID)).dropFirst(16)) == Array(theirs.dropFirst(16)))
        }
    }
}

func ip(_ s: String) -> IPAddress {
    guard let a = IPAddress(s) else { fatalError("bad test address \(s)") }
    return a
}
