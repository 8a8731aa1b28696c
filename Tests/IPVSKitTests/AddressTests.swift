import IPVSKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("IPAddress")
struct AddressTests {
    @Test(arguments: ["10.0.0.1", "255.255.255.255", "0.0.0.0", "2001:db8::1", "::1", "fe80::1:2:3:4"])
    func roundTrips(_ text: String) throws {
        let a = try #require(IPAddress(text))
        #expect(a.description == text)
        #expect(IPAddress(bytes: a.bytes, family: a.family) == a)
    }

    @Test(arguments: ["", "10.0.0", "10.0.0.256", "10.0.0.1.2", "a.b.c.d", "::g", "1:2:3:4:5:6:7:8:9", "010.0.0.1x", "[10.0.0.1", "localhost"])
    func refusesGarbage(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    /// The IPv4 text form is inet_ntop's, for edge values and 3,000 random addresses.
    @Test func v4DescriptionAgreesWithInetNtop() {
        var values: [UInt32] = [0, 1, 9, 10, 99, 100, 255, 256, 0x0A00_0001, 0x6464_6464, 0xFFFF_FFFF, 0x0909_0909, 0x0A0A_0A0A]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 { values.append(UInt32.random(in: .min ... .max, using: &generator)) }
        for v in values {
            var raw = in_addr(s_addr: v.bigEndian)
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let ntop = inet_ntop(AF_INET, &raw, &buf, socklen_t(buf.count)).map { _ in
                String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            #expect(IPAddress.v4(v).description == ntop, "\(v)")
        }
    }

    /// The dotted-quad fast path accepts exactly what inet_pton(AF_INET) accepts, with the same value.
    @Test func dottedQuadAgreesWithInetPton() {
        var samples = ["1.2.3.4", "01.2.3.4", "0.0.0.0", "00.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3",
                       "1.2.3.4.", ".1.2.3", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.0004", "1.2.3.-4",
                       "\u{0661}.2.3.4", "999.1.1.1", "1.2.3.099", "10.20.3.250"]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789.....9x ")
        for _ in 0..<3000 {
            samples.append(String((0..<Int.random(in: 1...16, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for text in samples {
            var raw = in_addr()
            let pton: UInt32? = inet_pton(AF_INET, text, &raw) == 1 ? UInt32(bigEndian: raw.s_addr) : nil
            #expect(IPAddress.dottedQuad(text.utf8) == pton, "\(text.debugDescription)")
        }
        // A NUL ends the C string inet_pton reads; the Swift parser reads the whole text and refuses it.
        #expect(IPAddress("1.2.3.4\u{0}junk") == nil)
    }

    @Test func bracketsAndKernelBytes() throws {
        let v6 = try #require(IPAddress("[2001:db8::2]"))
        #expect(v6.bracketed == "[2001:db8::2]")
        #expect(v6.kernelBytes.count == 16)
        let v4 = try #require(IPAddress("192.168.1.2"))
        #expect(v4.kernelBytes == [192, 168, 1, 2] + [UInt8](repeating: 0, count: 12))
        #expect(v4 < v6)
    }
}
