import Foundation
import Glibc
import Testing
import VRRP
import VRRPNetwork

/// Two namespaces joined by a veth pair, `eth0` in each: 10.0.0.1/24 and 2001:db8::1/64 in `a`, 10.0.0.2/24 and
/// 2001:db8::2/64 in `b`. Duplicate address detection is off, so link-local addresses are usable at once.
final class VethPair: Sendable {
    let a: TestNamespace
    let b: TestNamespace

    init(_ label: String) throws {
        a = try TestNamespace("\(label)a")
        b = try TestNamespace("\(label)b")
        for ns in [a, b] {
            try ns.exec("/sbin/sysctl", ["-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"])
        }
        let r = try run("/sbin/ip", ["-n", a.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b.name])
        guard r.status == 0 else { throw TestFailure("ip link add veth: \(r.stderr)") }
        for (ns, n) in [(a, 1), (b, 2)] {
            try check(ns.exec("/sbin/ip", ["addr", "add", "10.0.0.\(n)/24", "dev", "eth0"]))
            try check(ns.exec("/sbin/ip", ["addr", "add", "2001:db8::\(n)/64", "dev", "eth0", "nodad"]))
            try check(ns.exec("/sbin/ip", ["link", "set", "eth0", "up"]))
        }
        // IPv6 takes the link only once the carrier is seen (the kernel's link watch, up to a second later): until
        // then there is no link-local address and no ff00::/8 route, and multicast such as ff02::1 is dropped.
        for ns in [a, b] {
            var ready = false
            for _ in 0..<100 where !ready {
                let routes = try ns.exec("/sbin/ip", ["-6", "route", "show", "table", "local"]).stdout
                let addresses = try ns.exec("/sbin/ip", ["-6", "addr", "show", "dev", "eth0", "scope", "link"]).stdout
                ready = routes.contains("ff00::/8 dev eth0") && addresses.contains("fe80::")
                if !ready { usleep(100_000) }
            }
            guard ready else { throw TestFailure("IPv6 never came up on eth0 in \(ns.name)") }
        }
    }

    private func check(_ r: Run) throws {
        guard r.status == 0 else { throw TestFailure(r.stderr) }
    }
}

/// The first element of `stream` that satisfies `predicate` within `seconds`, or nil.
func first<T: Sendable>(in stream: AsyncStream<T>, within seconds: Double,
                        where predicate: @escaping @Sendable (T) -> Bool) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask {
            for await element in stream where predicate(element) { return element }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let found = await group.next() ?? nil
        group.cancelAll()
        return found
    }
}

/// keepalived 2.2.7 (VRRP only) running `config` in a namespace until `stop()`.
final class KeepalivedProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL

    init(in ns: TestNamespace, config: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vrrp-ka-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let conf = directory.appendingPathComponent("keepalived.conf").path
        try config.write(toFile: conf, atomically: true, encoding: .utf8)
        let check = try ns.exec("/usr/sbin/keepalived", ["-t", "-f", conf])
        guard check.status == 0 else { throw TestFailure("keepalived -t: \(check.stderr)") }
        process.executableURL = URL(fileURLWithPath: "/sbin/ip")
        process.arguments = ["netns", "exec", ns.name, "/usr/sbin/keepalived", "-n", "-l", "-P", "-f", conf,
                             "-p", directory.appendingPathComponent("ka.pid").path,
                             "-r", directory.appendingPathComponent("vrrp.pid").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try launch(process)
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Kernel: VRRPNetwork (rtnetlink, VRRP sockets, GARP/NA) in namespaces joined by veth")
struct VRRPNetworkKernelTests {
    @Test func interfaceLookupReadsIndexFlagsAndMAC() throws {
        let pair = try VethPair("if")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let shown = try pair.a.exec("/sbin/ip", ["-o", "link", "show", "eth0"]).stdout
        #expect(shown.hasPrefix("\(eth0.index): eth0@"))
        #expect(shown.contains("link/ether \(try #require(eth0.mac))"))
        #expect(eth0.isUp)
        #expect(!eth0.isNoARP)
        #expect(try netlink.interface(index: eth0.index) == eth0)
        let missing = #expect(throws: NetworkError.self) { try netlink.interface(named: "nosuch0") }
        #expect(missing?.description.contains("nosuch0") == true)
        try pair.a.exec("/sbin/ip", ["link", "set", "eth0", "arp", "off"])
        #expect(try netlink.interface(named: "eth0").isNoARP)
    }

    @Test func addsAndDeletesIPv4VIPWithLabelAndIPv6VIPWithNoDAD() throws {
        let pair = try VethPair("vip")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let vip = InterfaceAddress(VRRPAddress("10.0.0.100")!, prefixLength: 24, broadcast: VRRPAddress("10.0.0.255"),
                                   label: "eth0:vip")
        #expect(try netlink.addAddress(vip, to: eth0) == .added)
        var shown = try pair.a.exec("/sbin/ip", ["-4", "-o", "addr", "show", "dev", "eth0"]).stdout
        #expect(shown.contains("inet 10.0.0.100/24 brd 10.0.0.255 scope global secondary eth0:vip"), "\(shown)")
        #expect(try netlink.addAddress(vip, to: eth0) == .alreadyPresent)   // EEXIST is harmless
        let listed = try netlink.addresses(on: eth0).first { $0.address == vip.address }
        #expect(listed?.label == "eth0:vip")
        #expect(listed?.prefixLength == 24)
        #expect(listed?.broadcast == VRRPAddress("10.0.0.255"))
        #expect(listed?.interfaceIndex == eth0.index)

        #expect(try netlink.deleteAddress(vip, from: eth0) == .deleted)
        shown = try pair.a.exec("/sbin/ip", ["-4", "-o", "addr", "show", "dev", "eth0"]).stdout
        #expect(!shown.contains("10.0.0.100"))
        #expect(shown.contains("10.0.0.1/24"))
        #expect(try netlink.deleteAddress(vip, from: eth0) == .notPresent)   // EADDRNOTAVAIL is harmless

        let vip6 = InterfaceAddress(VRRPAddress("2001:db8::55")!)
        #expect(try netlink.addAddress(vip6, to: eth0) == .added)
        shown = try pair.a.exec("/sbin/ip", ["-6", "-o", "addr", "show", "dev", "eth0"]).stdout
        let line = try #require(shown.split(separator: "\n").first { $0.contains("2001:db8::55/128") })
        #expect(line.contains("nodad"), "\(line)")
        #expect(!line.contains("tentative"))
        #expect(line.contains("preferred_lft 0sec"), "\(line)")
        #expect(try netlink.deleteAddress(vip6, from: eth0) == .deleted)
        #expect(!(try pair.a.exec("/sbin/ip", ["-6", "-o", "addr", "show", "dev", "eth0"]).stdout.contains("2001:db8::55/")))
    }

    @Test func errorsNameTheAddressAndInterface() throws {
        let pair = try VethPair("err")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let ghost = NetworkInterface(name: "ghost0", index: 9999, flags: 0, mac: nil)
        let error = #expect(throws: NetworkError.self) {
            try netlink.addAddress(InterfaceAddress(VRRPAddress("10.0.0.100")!), to: ghost)
        }
        #expect(error?.description.contains("10.0.0.100/32") == true)
        #expect(error?.description.contains("ghost0 (index 9999)") == true)
        let refused = #expect(throws: NetworkError.self) {
            try netlink.addAddress(InterfaceAddress(VRRPAddress("10.0.0.100")!, label: "eth0:waytoolonglabel"),
                                   to: try netlink.interface(named: "eth0"))
        }
        #expect(refused?.description.contains("eth0:waytoolonglabel") == true)
    }

    @Test func addsAndDeletesRoutes() throws {
        let pair = try VethPair("rt")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let route = Route(to: VRRPAddress("192.168.5.0")!, prefixLength: 24, via: VRRPAddress("10.0.0.2"), dev: eth0,
                          src: VRRPAddress("10.0.0.1"), metric: 10, table: 100)
        #expect(try netlink.addRoute(route) == .added)
        var shown = try pair.a.exec("/sbin/ip", ["route", "show", "table", "100"]).stdout
        #expect(shown.contains("192.168.5.0/24 via 10.0.0.2 dev eth0"), "\(shown)")
        #expect(shown.contains("src 10.0.0.1"))
        #expect(shown.contains("metric 10"))
        #expect(shown.contains("proto keepalived") || shown.contains("proto 18"))
        #expect(try netlink.addRoute(route) == .alreadyPresent)
        #expect(try netlink.deleteRoute(route) == .deleted)
        shown = try pair.a.exec("/sbin/ip", ["route", "show", "table", "100"]).stdout
        #expect(!shown.contains("192.168.5.0"))
        #expect(try netlink.deleteRoute(route) == .notPresent)

        let host6 = Route(to: VRRPAddress("2001:db8:5::1")!, dev: eth0)
        #expect(try netlink.addRoute(host6) == .added)
        #expect(try pair.a.exec("/sbin/ip", ["-6", "route", "show", "2001:db8:5::1"]).stdout.contains("dev eth0"))
        #expect(try netlink.deleteRoute(host6) == .deleted)
    }

    @Test func watcherSeesAnAddressDeletedByHandAndALinkGoingDown() async throws {
        let pair = try VethPair("watch")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let watcher = try LinkWatcher(networkNamespace: pair.a.name)
        defer { watcher.stop() }
        try netlink.addAddress(InterfaceAddress(VRRPAddress("10.0.0.100")!, label: "eth0:vip"), to: eth0)
        let r = try pair.a.exec("/sbin/ip", ["addr", "del", "10.0.0.100/32", "dev", "eth0"])
        #expect(r.status == 0)
        let removed = await first(in: watcher.events, within: 10) { event in
            if case .addressRemoved(let a) = event { return a.address == VRRPAddress("10.0.0.100") }
            return false
        }
        guard case .addressRemoved(let a) = removed else {
            Issue.record("no RTM_DELADDR event for 10.0.0.100 within 10 s")
            return
        }
        #expect(a.interfaceIndex == eth0.index)
        #expect(a.label == "eth0:vip")

        try pair.a.exec("/sbin/ip", ["link", "set", "eth0", "down"])
        let down = await first(in: watcher.events, within: 10) { event in
            if case .linkChanged(let l) = event { return l.index == eth0.index && !l.isUp }
            return false
        }
        guard case .linkChanged(let link) = down else {
            Issue.record("no RTM_NEWLINK event with eth0 down within 10 s")
            return
        }
        #expect(link.name == "eth0")
        #expect(!link.isRunning)
    }

    @Test func gratuitousARPAndUnsolicitedNAUpdateThePeersNeighbourEntries() throws {
        let pair = try VethPair("garp")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let mac = try #require(eth0.mac)
        // b knows the VIPs at a stale, wrong address; a neighbour entry may be overridden at once (locktime 0).
        try pair.b.exec("/sbin/sysctl", ["-qw", "net.ipv4.neigh.eth0.locktime=0"])
        try pair.b.exec("/sbin/ip", ["neigh", "replace", "10.0.0.100", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale"])
        try pair.b.exec("/sbin/ip", ["neigh", "replace", "2001:db8::100", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale"])
        #expect(try pair.b.exec("/sbin/ip", ["neigh", "show", "10.0.0.100"]).stdout.contains("02:00:00:00:00:99"))

        let announcer = try AddressAnnouncer(networkNamespace: pair.a.name)
        #expect(!announcer.isIPv6Forwarding(on: eth0))
        let sent = try announcer.sendBurst([VRRPAddress("10.0.0.100")!, VRRPAddress("2001:db8::100")!], on: eth0, count: 2)
        #expect(sent == 4)
        var v4 = "", v6 = ""
        for _ in 0..<50 {
            v4 = try pair.b.exec("/sbin/ip", ["neigh", "show", "10.0.0.100", "dev", "eth0"]).stdout
            v6 = try pair.b.exec("/sbin/ip", ["neigh", "show", "2001:db8::100", "dev", "eth0"]).stdout
            if v4.contains("lladdr \(mac)") && v6.contains("lladdr \(mac)") { break }
            usleep(100_000)
        }
        #expect(v4.contains("lladdr \(mac)"), "\(v4)")
        #expect(v6.contains("lladdr \(mac)"), "\(v6)")

        // IFF_NOARP: nothing is sent.
        try pair.a.exec("/sbin/ip", ["link", "set", "eth0", "arp", "off"])
        let noarp = try netlink.interface(named: "eth0")
        #expect(try announcer.sendBurst([VRRPAddress("10.0.0.100")!], on: noarp, count: 3) == 0)
    }

    @Test func ipv4AdvertArrivesByteIdenticalAtAPythonRawSocket() throws {
        let pair = try VethPair("tx")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrrp-tx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ready = dir.appendingPathComponent("ready").path, out = dir.appendingPathComponent("out").path
        let script = """
        import socket, struct, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
        idx = socket.if_nametoindex("eth0")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("224.0.0.18") + socket.inet_aton("0.0.0.0") + struct.pack("i", idx))
        s.settimeout(20)
        open(sys.argv[1], "w").close()
        data = s.recv(65535)
        open(sys.argv[2], "w").write(data.hex())
        """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/sbin/ip")
        python.arguments = ["netns", "exec", pair.b.name, "python3", "-c", script, ready, out]
        try launch(python)
        defer { if python.isRunning { kill(python.processIdentifier, SIGKILL) } }
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: ready) { usleep(50_000) }
        #expect(FileManager.default.fileExists(atPath: ready))

        var settings = InstanceSettings(name: "VI_1", vrid: 51, priority: 150, virtualAddresses: [VRRPAddress("10.0.0.100")!],
                                        primaryAddress: VRRPAddress("10.0.0.1")!)
        settings.authType = .simplePassword
        settings.authData = Advertisement.password("secret")
        let instance = VRRPInstance(settings: settings)
        var ids = IPv4IdentificationCounter()
        let packets = try instance.packets(for: instance.advertisement(priority: 150), identification: ids.next())
        let packet = try #require(packets.first)
        #expect(packet.destination == .multicastGroupV4)
        let socket = try VRRPSocket(family: .ipv4, interface: eth0, networkNamespace: pair.a.name)
        try socket.send(packet)
        python.waitUntilExit()
        let received = try String(contentsOfFile: out, encoding: .utf8)
        #expect(received == packet.bytes.map { String(format: "%02x", $0) }.joined())
        #expect(packet.bytes.count == 20 + 20)   // IP header + v2 message with one address and 8 auth bytes
        #expect(packet.bytes[8] == 255)          // TTL
        #expect(packet.bytes[1] == 0xc0)         // TOS
    }

    @Test func receivesAndValidatesAnAdvertFromKeepalived() async throws {
        let pair = try VethPair("ka")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let socket = try VRRPSocket(family: .ipv4, interface: eth0, networkNamespace: pair.a.name)
        defer { socket.stop() }

        let keepalived = try KeepalivedProcess(in: pair.b, config: """
            vrrp_instance VI_1 {
                state MASTER
                interface eth0
                virtual_router_id 51
                priority 150
                advert_int 1
                authentication {
                    auth_type PASS
                    auth_pass secret
                }
                virtual_ipaddress {
                    10.0.0.100/24
                }
            }
            """)
        defer { keepalived.stop() }

        let expectations = ReceiveExpectations(version: .v2, family: .ipv4, authType: .simplePassword,
                                               authData: Advertisement.password("secret"),
                                               advertIntervalMicroseconds: 1_000_000,
                                               addresses: [VRRPAddress("10.0.0.100")!])
        let received = await first(in: socket.packets, within: 30) { _ in true }
        let packet = try #require(received, "no advert from keepalived within 30 s")
        #expect(packet.interfaceIndex == eth0.index)
        switch ReceiveValidator.validate(packet.packet, expecting: expectations) {
        case .success(let advert):
            #expect(advert.source == VRRPAddress("10.0.0.2"))
            #expect(advert.ttl == 255)
            #expect(advert.advertisement.vrid == 51)
            #expect(advert.advertisement.priority == 150)
            #expect(advert.advertisement.addresses == [VRRPAddress("10.0.0.100")!])
            #expect(advert.checksumForm == .message)
        case .failure(let reason):
            Issue.record("keepalived's advert was dropped: \(reason)")
        }
        // A mismatched password is caught on the same bytes, so the check above could fail.
        var wrong = expectations
        wrong.authData = Advertisement.password("other")
        #expect(ReceiveValidator.validate(packet.packet, expecting: wrong) == .failure(.passwordMismatch))
    }

    @Test func ipv6AdvertRoundTripBetweenTwoSocketsWithHopLimitAndDestination() async throws {
        let pair = try VethPair("v6")
        let a = try RouteNetlink(networkNamespace: pair.a.name)
        let b = try RouteNetlink(networkNamespace: pair.b.name)
        let aEth0 = try a.interface(named: "eth0"), bEth0 = try b.interface(named: "eth0")
        let linkLocal = try #require(try a.addresses(on: aEth0).first { $0.address.isLinkLocal }?.address)
        let receiver = try VRRPSocket(family: .ipv6, interface: bEth0, networkNamespace: pair.b.name)
        defer { receiver.stop() }
        let sender = try VRRPSocket(family: .ipv6, interface: aEth0, source: linkLocal, networkNamespace: pair.a.name)

        let vip = VRRPAddress("2001:db8::100")!
        let settings = InstanceSettings(name: "VI_6", vrid: 61, version: .v3, priority: 120, advertInterval: 100_000,
                                        virtualAddresses: [vip], primaryAddress: linkLocal)
        let instance = VRRPInstance(settings: settings)
        let packet = try #require(try instance.packets(for: instance.advertisement(priority: 120), identification: 1).first)
        #expect(packet.destination == .multicastGroupV6)
        // Send until one arrives (the first may go before the group membership settles).
        let sending = Task {
            for _ in 0..<50 where !Task.isCancelled {
                try? sender.send(packet)
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { sending.cancel() }
        let received = try #require(await first(in: receiver.packets, within: 15) { _ in true }, "no IPv6 advert within 15 s")
        #expect(received.packet.source == linkLocal)
        #expect(received.packet.destination == .multicastGroupV6)
        #expect(received.packet.hopLimit == 255)
        #expect(received.interfaceIndex == bEth0.index)
        #expect(received.packet.bytes == packet.bytes)
        let verdict = ReceiveValidator.validate(received.packet, expecting: settings.receiveExpectations)
        guard case .success(let advert) = verdict else {
            Issue.record("dropped: \(verdict)")
            return
        }
        #expect(advert.advertisement.vrid == 61)
        #expect(advert.advertisement.maxAdvertInterval == 10)
    }

    @Test func receivesAndValidatesAnIPv6AdvertFromKeepalived() async throws {
        let pair = try VethPair("ka6")
        let a = try RouteNetlink(networkNamespace: pair.a.name)
        let b = try RouteNetlink(networkNamespace: pair.b.name)
        let eth0 = try a.interface(named: "eth0"), peerEth0 = try b.interface(named: "eth0")
        let peerLinkLocal = try #require(try b.addresses(on: peerEth0).first { $0.address.isLinkLocal }?.address)
        let socket = try VRRPSocket(family: .ipv6, interface: eth0, networkNamespace: pair.a.name)
        defer { socket.stop() }
        let keepalived = try KeepalivedProcess(in: pair.b, config: """
            vrrp_instance VI_6 {
                state MASTER
                interface eth0
                virtual_router_id 61
                priority 150
                advert_int 1
                virtual_ipaddress {
                    2001:db8::100/64
                }
            }
            """)
        defer { keepalived.stop() }
        let received = try #require(await first(in: socket.packets, within: 30) { _ in true },
                                    "no IPv6 advert from keepalived within 30 s")
        #expect(received.interfaceIndex == eth0.index)
        #expect(received.packet.source == peerLinkLocal)
        #expect(received.packet.destination == .multicastGroupV6)
        #expect(received.packet.hopLimit == 255)
        let expectations = ReceiveExpectations(version: .v3, family: .ipv6, advertIntervalMicroseconds: 1_000_000,
                                               addresses: [VRRPAddress("2001:db8::100")!])
        switch ReceiveValidator.validate(received.packet, expecting: expectations) {
        case .success(let advert):
            #expect(advert.advertisement.vrid == 61)
            #expect(advert.advertisement.priority == 150)
            #expect(advert.advertisement.maxAdvertInterval == 100)   // centiseconds
            #expect(advert.source == peerLinkLocal)
        case .failure(let reason):
            Issue.record("keepalived's IPv6 advert was dropped: \(reason)")
        }
    }

    @Test func unicastSocketGetsKeepalivedsUnicastAdvertAndTheMulticastSocketDoesNot() async throws {
        let pair = try VethPair("kau")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try netlink.interface(named: "eth0")
        let unicast = try VRRPSocket(family: .ipv4, interface: eth0, mode: .unicast(local: VRRPAddress("10.0.0.1")!),
                                     networkNamespace: pair.a.name)
        defer { unicast.stop() }
        let multicast = try VRRPSocket(family: .ipv4, interface: eth0, networkNamespace: pair.a.name)
        defer { multicast.stop() }
        let keepalived = try KeepalivedProcess(in: pair.b, config: """
            vrrp_instance VI_U {
                state MASTER
                interface eth0
                virtual_router_id 52
                priority 200
                advert_int 1
                unicast_src_ip 10.0.0.2
                unicast_peer {
                    10.0.0.1
                }
                virtual_ipaddress {
                    10.0.0.101/24
                }
            }
            """)
        defer { keepalived.stop() }
        let received = try #require(await first(in: unicast.packets, within: 30) { _ in true },
                                    "no unicast advert from keepalived within 30 s")
        var expectations = ReceiveExpectations(version: .v2, family: .ipv4, advertIntervalMicroseconds: 1_000_000,
                                               addresses: [VRRPAddress("10.0.0.101")!],
                                               unicastPeers: [UnicastPeer(VRRPAddress("10.0.0.2")!)],
                                               checkUnicastSource: true)
        switch ReceiveValidator.validate(received.packet, expecting: expectations) {
        case .success(let advert):
            #expect(advert.source == VRRPAddress("10.0.0.2"))
            #expect(advert.advertisement.vrid == 52)
            #expect(advert.advertisement.priority == 200)
        case .failure(let reason):
            Issue.record("keepalived's unicast advert was dropped: \(reason)")
        }
        let header = try IPv4Header.decode(received.packet.bytes)
        #expect(header.destination == VRRPAddress("10.0.0.1"))
        // A multicast instance would refuse it, and the multicast socket (bound to 224.0.0.18) never sees it.
        expectations.unicastPeers = []
        #expect(ReceiveValidator.validate(received.packet, expecting: expectations)
            == .failure(.castModeMismatch(expectedUnicast: false)))
        #expect(await first(in: multicast.packets, within: 3) { _ in true } == nil)
    }

    @Test func performRunsNetlinkCallsOnTheClientsThread() async throws {
        let pair = try VethPair("perf")
        let netlink = try RouteNetlink(networkNamespace: pair.a.name)
        let eth0 = try await netlink.perform { nl throws(NetworkError) in try nl.interface(named: "eth0") }
        let vip = InterfaceAddress(VRRPAddress("10.0.0.150")!)
        #expect(try await netlink.perform { nl throws(NetworkError) in try nl.addAddress(vip, to: eth0) } == .added)
        #expect(try pair.a.exec("/sbin/ip", ["-o", "addr", "show", "dev", "eth0"]).stdout.contains("inet 10.0.0.150/32"))
        let failure = await #expect(throws: NetworkError.self) {
            try await netlink.perform { nl throws(NetworkError) in try nl.interface(named: "nosuch1") }
        }
        #expect(failure?.description.contains("nosuch1") == true)
    }
}
