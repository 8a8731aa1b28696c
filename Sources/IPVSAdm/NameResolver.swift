import IPVSKit
#if canImport(Glibc)
import Glibc
#endif

/// Host and service name look-ups, as ipvsadm makes them. A protocol so that tests can use fixed tables.
public protocol NameResolver: Sendable {
    /// `inet_aton` then `gethostbyname`: an IPv4 address for `name`, or `nil`.
    func ipv4Address(forHost name: String) -> IPAddress?
    /// `gethostbyaddr`: the host name of `address`, or `nil`.
    func hostName(for address: IPAddress) -> String?
    /// `getservbyname(name, proto)`: the port of a named service for protocol 6, 17 or 132.
    func port(forService name: String, protocol: UInt16) -> UInt16?
    /// `getservbyport(port, proto)`: the name of the service on `port`.
    func serviceName(forPort port: UInt16, protocol: UInt16) -> String?
}

/// The C library's resolver (files, then DNS, per nsswitch.conf).
public struct SystemResolver: NameResolver {
    public init() {}

    public func ipv4Address(forHost name: String) -> IPAddress? {
        if let v = CNumber.dottedQuad(name) { return .v4(v) }
        var addr = in_addr()
        if inet_aton(name, &addr) != 0 { return .v4(UInt32(bigEndian: addr.s_addr)) }
        guard let h = gethostbyname(name), h.pointee.h_addrtype == AF_INET, h.pointee.h_length == 4,
              let list = h.pointee.h_addr_list, let first = list[0] else { return nil }
        let b = UnsafeRawPointer(first).assumingMemoryBound(to: UInt8.self)
        return IPAddress(bytes: [b[0], b[1], b[2], b[3]], family: .inet)
    }

    public func hostName(for address: IPAddress) -> String? {
        let bytes = address.bytes
        let family = address.family == .inet ? AF_INET : AF_INET6
        let h = bytes.withUnsafeBytes { gethostbyaddr($0.baseAddress, socklen_t(bytes.count), family) }
        guard let h, let name = h.pointee.h_name else { return nil }
        return String(cString: name)
    }

    public func port(forService name: String, protocol proto: UInt16) -> UInt16? {
        guard let p = Self.protocolName(proto), let s = getservbyname(name, p) else { return nil }
        return UInt16(bigEndian: UInt16(truncatingIfNeeded: s.pointee.s_port))
    }

    public func serviceName(forPort port: UInt16, protocol proto: UInt16) -> String? {
        guard let p = Self.protocolName(proto), let s = getservbyport(Int32(port.bigEndian), p),
              let name = s.pointee.s_name else { return nil }
        return String(cString: name)
    }

    static func protocolName(_ p: UInt16) -> String? {
        switch p {
        case 6: "tcp"
        case 17: "udp"
        case 132: "sctp"
        default: nil
        }
    }
}

/// Only numbers; every name look-up fails. For `-n` paths and tests.
public struct NumericResolver: NameResolver {
    public init() {}
    public func ipv4Address(forHost name: String) -> IPAddress? {
        if let v = CNumber.dottedQuad(name) { return .v4(v) }
        var addr = in_addr()
        return inet_aton(name, &addr) != 0 ? .v4(UInt32(bigEndian: addr.s_addr)) : nil
    }
    public func hostName(for address: IPAddress) -> String? { nil }
    public func port(forService name: String, protocol: UInt16) -> UInt16? { nil }
    public func serviceName(forPort port: UInt16, protocol: UInt16) -> String? { nil }
}
