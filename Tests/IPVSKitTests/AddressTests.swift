import IPVSKit
import Testing

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

    @Test func bracketsAndKernelBytes() throws {
        let v6 = try #require(IPAddress("[2001:db8::2]"))
        #expect(v6.bracketed == "[2001:db8::2]")
        #expect(v6.kernelBytes.count == 16)
        let v4 = try #require(IPAddress("192.168.1.2"))
        #expect(v4.kernelBytes == [192, 168, 1, 2] + [UInt8](repeating: 0, count: 12))
        #expect(v4 < v6)
    }
}
