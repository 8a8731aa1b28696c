import Testing
@testable import IPVSKit

/// Decoding the kernel's own replies as captured in the VM, and refusing truncated or garbage replies.
@Suite("Golden bytes: decoding kernel replies")
struct GoldenDecodingTests {
    func decodedListing() throws -> (services: [Service], destinations: [Destination]) {
        let f = try Fixture("list-all")
        var services: [Service] = []
        var destinations: [Destination] = []
        for m in try f.familyReplies() {
            let attrs = try IPVSClient.attributes(of: m, command: .getService)
            switch m.payload.first {
            case IPVSCommand.newService.rawValue: services.append(try IPVSDecoder.service(from: attrs))
            case IPVSCommand.newDestination.rawValue: destinations.append(try IPVSDecoder.destination(from: attrs, serviceFamily: .inet))
            default: break
            }
        }
        return (services, destinations)
    }

    @Test func servicesFromADump() throws {
        let (services, _) = try decodedListing()
        #expect(services.count == 5)
        let byKey = Dictionary(uniqueKeysWithValues: services.map { ($0.key, $0) })
        let web = try #require(byKey[.address(.tcp, ip("10.0.0.1"), port: 80)])
        #expect(web.scheduler == "wrr")
        #expect(!web.flags.contains(.persistent))
        let sip = try #require(byKey[.address(.udp, ip("10.0.0.3"), port: 5060)])
        #expect(sip.flags.contains(.persistent))
        #expect(sip.persistenceTimeout == 60)
        #expect(sip.netmask == 0xFFFF_FF00)
        #expect(sip.persistenceEngine == "sip")
        let v6 = try #require(byKey[.address(.udp, ip("2001:db8::1"), port: 53)])
        #expect(v6.netmask == 64)
        #expect(v6.persistenceTimeout == 600)
        let fwm = try #require(byKey[.firewallMark(7, family: .inet)])
        #expect(fwm.flags.isSuperset(of: [.scheduler1, .scheduler2]))
        #expect(fwm.scheduler == "sh")
    }

    @Test func destinationsFromADump() throws {
        let (_, dests) = try decodedListing()
        let byKey = Dictionary(dests.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let gue = try #require(byKey[DestinationKey(address: ip("192.168.1.4"), port: 80)])
        #expect(gue.forwarding == .tunnel)
        #expect(gue.tunnel == TunnelSettings(type: .gue, port: 6080, checksum: .checksum))
        let masq = try #require(byKey[DestinationKey(address: ip("192.168.1.3"), port: 8080)])
        #expect(masq.forwarding == .masquerade)
        #expect(masq.weight == 2)
        #expect(masq.upperThreshold == 100)
        #expect(masq.lowerThreshold == 10)
        let route = try #require(byKey[DestinationKey(address: ip("192.168.1.2"), port: 80)])
        #expect(route.weight == 9)
        #expect(route.forwarding == .route)
    }

    @Test func timeoutsAndDaemonReplies() throws {
        let t = try Fixture("list-timeout").familyReplies()
        let timeouts = try IPVSDecoder.timeouts(from: try IPVSClient.attributes(of: try #require(t.first { $0.payload.first == IPVSCommand.setConfig.rawValue }), command: .getConfig))
        #expect(timeouts == Timeouts(tcp: 900, tcpFin: 120, udp: 300))
        let d = try Fixture("list-daemon").familyReplies()
        let daemon = try IPVSDecoder.daemon(from: try IPVSClient.attributes(of: try #require(d.first { $0.payload.first == IPVSCommand.newDaemon.rawValue }), command: .getDaemon))
        #expect(daemon.state == .master)
        #expect(daemon.interface == "lo")
        #expect(daemon.syncID == 5)
        #expect(daemon.port == 8848)
        #expect(daemon.group == ip("224.0.0.81"))
    }

    @Test func kernelErrorsKeepTheirErrno() throws {
        let exists = try Fixture("error-dest-exists").replies.flatMap { try NetlinkMessage.split($0[...]) }
            .filter { $0.type == NL.error }
            .map { IPVSClient.ackResult($0, command: .newDestination) }
        #expect(exists.contains { if case .failure(.kernel(_, let e)) = $0 { return e == 17 } else { return false } })
        let missing = try Fixture("error-no-service").replies.flatMap { try NetlinkMessage.split($0[...]) }
            .filter { $0.type == NL.error }
            .map { IPVSClient.ackResult($0, command: .deleteService) }
        #expect(missing.contains { if case .failure(.kernel(_, let e)) = $0 { return e == 3 } else { return false } })  // ESRCH, not ENOENT
        #expect(IPVSError.kernel(command: .deleteService, errno: 3).ipvsadmMessage == "No such service")
        #expect(IPVSError.kernel(command: .newDestination, errno: 17).ipvsadmMessage == "Destination already exists")
        #expect(IPVSError.kernel(command: .setDestination, errno: 2).ipvsadmMessage == "No such destination")
        #expect(IPVSError.kernel(command: .newService, errno: 2).ipvsadmMessage == "Scheduler or persistence engine not found")
        #expect(IPVSError.kernel(command: .newService, errno: 1).ipvsadmMessage == "Permission denied (you must be root)")
    }

    /// Every prefix of every captured reply either decodes or throws; none crashes.
    @Test func truncatedRepliesAreErrorsNotCrashes() throws {
        let f = try Fixture("list-all")
        var refused = 0
        for reply in f.replies {
            for cut in 0..<reply.count {
                var bytes = Array(reply.prefix(cut))
                // Keep the netlink length consistent with the cut, so the attribute decoder sees the truncation.
                if bytes.count >= 4 {
                    let n = UInt32(bytes.count)
                    bytes[0] = UInt8(n & 0xff); bytes[1] = UInt8(n >> 8 & 0xff); bytes[2] = 0; bytes[3] = 0
                }
                do {
                    for m in try NetlinkMessage.split(bytes[...]) where m.type == f.familyID {
                        let attrs = try IPVSClient.attributes(of: m, command: .getService)
                        if m.payload.first == 1 { _ = try IPVSDecoder.service(from: attrs) }
                        if m.payload.first == 5 { _ = try IPVSDecoder.destination(from: attrs, serviceFamily: .inet) }
                    }
                } catch let e {
                    if case .malformedReply = e { refused += 1 } else { Issue.record("unexpected error \(e)") }
                }
            }
        }
        #expect(refused > 100)
    }

    @Test func garbageIsRefusedWithAReason() throws {
        var rng = SystemRandomNumberGenerator()
        var refused = 0
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<200, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do {
                let attrs = try NetlinkAttributes(bytes[...], context: "fuzz")
                _ = try IPVSDecoder.service(from: attrs)
                _ = try IPVSDecoder.destination(from: attrs, serviceFamily: .inet6)
            } catch {
                refused += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(refused > 1900)
        #expect(throws: IPVSError.self) { try NetlinkMessage.split([0x40, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][...]) }
    }
}
