import CConnectShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A parsed numeric socket address (IPv4 or IPv6 and a port), ready for `connect` or `bind`.
struct SocketAddressBytes: @unchecked Sendable {
    // @unchecked: `sockaddr_storage` is plain bytes with no pointers; the value is copied, never shared.
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    /// Parses `host` (a numeric address without brackets) and `port`; nil when `host` is not numeric or the
    /// port is out of range.
    init?(host: String, port: Int) {
        guard (0...65535).contains(port) else { return nil }
        var storage = sockaddr_storage()
        var length: socklen_t = 0
        guard cs_parse_address(host, Int32(port), &storage, &length) == 0 else { return nil }
        self.storage = storage
        self.length = length
    }
}
