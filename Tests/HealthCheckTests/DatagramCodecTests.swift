import Testing

@testable import HealthCheck

@Suite("UDP_CHECK, DNS_CHECK, PING_CHECK: payloads, replies and their verdicts")
struct DatagramCodecTests {
    let target = CheckTarget(host: "10.0.0.2", port: 53)

    // MARK: UDP_CHECK

    @Test func udpDefaultPayloadIsKeepalivedsFiller() {
        let check = UDPCheck(target: target)
        #expect(check.datagram.count == 32)
        #expect(String(decoding: check.datagram, as: UTF8.self) == "keepalived check - keepalived ch")
        #expect(UDPCheck(target: target, payload: [1]).datagram == [1])
        #expect(!check.requireReply)
        // A pattern implies require_reply.
        #expect(UDPCheck(target: target, reply: ReplyPattern(bytes: [1])).requireReply)
    }

    @Test func udpReplyWithoutPatternAlwaysPasses() {
        let check = UDPCheck(target: target, requireReply: true, minReplyLength: 5, maxReplyLength: 6)
        // keepalived checks the length bounds only with a pattern.
        #expect(check.judge(reply: [UInt8]()) == nil)
        #expect(check.judge(reply: [UInt8](repeating: 0, count: 300)) == nil)
    }

    @Test func udpReplyPatternComparesTheShorterAndHonoursWildcards() {
        let pattern = ReplyPattern(bytes: [0xAB, 0x00, 0xCD], wildcards: [0, 0xFF, 0x0F])
        let check = UDPCheck(target: target, reply: pattern)
        #expect(check.judge(reply: [0xAB, 0x77, 0xC3]) == nil)
        #expect(check.judge(reply: [0xAB, 0x77, 0xC3, 0x99, 0x98]) == nil)  // longer: the rest is not compared
        #expect(check.judge(reply: [0xAB]) == nil)  // shorter: only its bytes are compared
        #expect(check.judge(reply: [UInt8]()) == nil)  // min_reply_length 0
        if case .replyMismatch(let why) = check.judge(reply: [0xAB, 0x77, 0xD3]) {
            #expect(why.contains("byte 2"))
        } else {
            Issue.record("a differing fixed nibble must fail")
        }
        #expect(check.judge(reply: [0xAA]) != nil)
    }

    @Test func udpReplyLengthBounds() {
        let check = UDPCheck(target: target, reply: ReplyPattern(bytes: [1]), minReplyLength: 2, maxReplyLength: 3)
        #expect(check.judge(reply: [1]) != nil)
        #expect(check.judge(reply: [1, 2]) == nil)
        #expect(check.judge(reply: [1, 2, 3]) == nil)
        #expect(check.judge(reply: [1, 2, 3, 4]) != nil)
        // Default max 255.
        let defaults = UDPCheck(target: target, reply: ReplyPattern(bytes: [1]))
        #expect(defaults.judge(reply: [UInt8](repeating: 1, count: 255)) == nil)
        #expect(defaults.judge(reply: [UInt8](repeating: 1, count: 256)) != nil)
    }

    // MARK: DNS_CHECK

    @Test func dnsQueryEncoding() throws {
        let query = try DNSMessage.query(id: 0x1234, type: .soa, name: ".")
        #expect(query == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1])
        let named = try DNSMessage.query(id: 1, type: .aaaa, name: "ab.c")
        #expect(Array(named[12...]) == [2, 0x61, 0x62, 1, 0x63, 0, 0, 28, 0, 1])
        // A trailing dot and the empty name change nothing.
        #expect(try DNSMessage.query(id: 1, type: .aaaa, name: "ab.c.") == named)
        #expect(try DNSMessage.encodeName("") == [0])
    }

    @Test func dnsBadNamesAreRejected() {
        #expect(throws: DNSNameError.emptyLabel("a..b")) { try DNSMessage.encodeName("a..b") }
        #expect(throws: DNSNameError.emptyLabel(".a")) { try DNSMessage.encodeName(".a") }
        let long = String(repeating: "x", count: 64)
        #expect(throws: DNSNameError.labelTooLong(long)) { try DNSMessage.encodeName(long + ".com") }
        let huge = Array(repeating: String(repeating: "y", count: 60), count: 5).joined(separator: ".")
        #expect(throws: DNSNameError.nameTooLong(huge)) { try DNSMessage.encodeName(huge) }
    }

    @Test func dnsTypesByName() {
        #expect(DNSRecordType(name: "soa") == .soa)
        #expect(DNSRecordType(name: "DNSKEY")?.rawValue == 48)
        #expect(DNSRecordType(name: "PTR") == nil)
        #expect(DNSRecordType.cname.name == "CNAME")
    }

    private func reply(id: UInt16, flags: UInt16, extra: [UInt8] = [0, 1, 0, 1, 0, 0, 0, 0]) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF)] + extra
    }

    @Test func dnsReplyVerdicts() {
        #expect(DNSMessage.judge(reply: reply(id: 7, flags: 0x8180), id: 7) == .success)
        // Another id, a query (QR clear), a truncated header: not ours, keep waiting.
        #expect(DNSMessage.judge(reply: reply(id: 8, flags: 0x8180), id: 7) == .ignore)
        #expect(DNSMessage.judge(reply: reply(id: 7, flags: 0x0100), id: 7) == .ignore)
        #expect(DNSMessage.judge(reply: Array(reply(id: 7, flags: 0x8180).prefix(11)), id: 7) == .ignore)
        #expect(DNSMessage.judge(reply: [UInt8](), id: 7) == .ignore)
        // SERVFAIL, NXDOMAIN, REFUSED.
        #expect(DNSMessage.judge(reply: reply(id: 7, flags: 0x8182), id: 7) == .failure(.dnsRcode(2)))
        #expect(DNSMessage.judge(reply: reply(id: 7, flags: 0x8183), id: 7) == .failure(.dnsRcode(3)))
        #expect(DNSMessage.judge(reply: reply(id: 7, flags: 0x8005), id: 7) == .failure(.dnsRcode(5)))
    }

    // MARK: PING_CHECK

    @Test func echoRequestHasAValidChecksum() {
        let request = ICMPEcho.request(identifier: 0x1234, sequence: 9, ipv6: false)
        #expect(request.count == 8 + ICMPEcho.dataLength)
        #expect(request[0] == 8 && request[1] == 0)
        #expect(Array(request[4...7]) == [0x12, 0x34, 0, 9])
        #expect(ICMPEcho.checksum(request) == 0)  // a correct checksum sums to zero
        let v6 = ICMPEcho.request(identifier: 1, sequence: 2, ipv6: true)
        #expect(v6[0] == 128 && v6[2] == 0 && v6[3] == 0)
        #expect(ICMPEcho.checksum([0x45, 0x00, 0x00]) == ~UInt16(0x4500))
    }

    private func echoReply(type: UInt8, id: UInt16, seq: UInt16) -> [UInt8] {
        [type, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF), 1, 2]
    }

    @Test func pingSocketVerdicts() {
        // A ping socket sees only its own replies (the kernel rewrites the identifier): type decides.
        #expect(ICMPEcho.judge(reply: echoReply(type: 0, id: 99, seq: 1), raw: false, ipv6: false, identifier: 5, sequence: 1) == .success)
        #expect(ICMPEcho.judge(reply: echoReply(type: 129, id: 99, seq: 1), raw: false, ipv6: true, identifier: 5, sequence: 1) == .success)
        if case .failure(.unexpectedICMP(let what)) = ICMPEcho.judge(reply: echoReply(type: 3, id: 0, seq: 0), raw: false, ipv6: false, identifier: 5, sequence: 1) {
            #expect(what.contains("type 0x3"))
        } else {
            Issue.record("a non-reply from a ping socket must fail")
        }
        #expect(ICMPEcho.judge(reply: [0, 0, 0], raw: false, ipv6: false, identifier: 5, sequence: 1)
                == .failure(.unexpectedICMP("short ICMP packet of 3 bytes")))
    }

    @Test func rawSocketVerdictsMatchIdentifierAndSequence() {
        let ip: [UInt8] = [0x45] + [UInt8](repeating: 0, count: 19)
        #expect(ICMPEcho.judge(reply: ip + echoReply(type: 0, id: 5, seq: 1), raw: true, ipv6: false, identifier: 5, sequence: 1) == .success)
        #expect(ICMPEcho.judge(reply: ip + echoReply(type: 0, id: 6, seq: 1), raw: true, ipv6: false, identifier: 5, sequence: 1) == .ignore)
        #expect(ICMPEcho.judge(reply: ip + echoReply(type: 0, id: 5, seq: 2), raw: true, ipv6: false, identifier: 5, sequence: 1) == .ignore)
        #expect(ICMPEcho.judge(reply: ip + echoReply(type: 8, id: 5, seq: 1), raw: true, ipv6: false, identifier: 5, sequence: 1) == .ignore)
        // Truncated or not IPv4: ignored, never a crash.
        #expect(ICMPEcho.judge(reply: Array(ip.prefix(10)), raw: true, ipv6: false, identifier: 5, sequence: 1) == .ignore)
        #expect(ICMPEcho.judge(reply: [0x4F, 0, 0], raw: true, ipv6: false, identifier: 5, sequence: 1) == .ignore)
        #expect(ICMPEcho.judge(reply: [UInt8](), raw: true, ipv6: false, identifier: 5, sequence: 1) == .ignore)
        #expect(ICMPEcho.judge(reply: echoReply(type: 129, id: 5, seq: 1), raw: true, ipv6: true, identifier: 5, sequence: 1) == .success)
    }
}
