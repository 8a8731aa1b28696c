import CLibNLRoute
import CVRRPShim
import Synchronization
import VRRP
#if canImport(Glibc)
import Glibc
#endif

/// Addresses, routes and interfaces over rtnetlink, through libnl-route-3: keepalived's `virtual_ipaddress`,
/// `virtual_routes` and interface lookups.
///
/// The calls are short blocking request/ACK exchanges on one netlink socket, bound at creation to a network
/// namespace. Call them from a thread of your own, or through ``perform(_:)``, which runs them on this client's
/// own thread so that no Swift task blocks:
///
/// ```swift
/// let netlink = try RouteNetlink()
/// let eth0 = try netlink.interface(named: "eth0")
/// let change = try await netlink.perform { nl throws(NetworkError) in
///     try nl.addAddress(InterfaceAddress(VRRPAddress("10.0.0.100")!, label: "eth0:vip"), to: eth0)
/// }
/// ```
public final class RouteNetlink: @unchecked Sendable {
    // The libnl socket is not thread-safe: every use holds `lock`.
    let lock = Mutex(())
    nonisolated(unsafe) let sock: OpaquePointer
    private let worker: SerialThread

    /// Opens and connects a NETLINK_ROUTE socket in `networkNamespace` (an `ip netns` name or a path; `nil`: the
    /// calling thread's namespace).
    public init(networkNamespace: String? = nil) throws(NetworkError) {
        let sock = try inNetworkNamespace(networkNamespace) { () throws(NetworkError) -> OpaquePointer in
            guard let s = nl_socket_alloc() else { throw NetworkError("allocate a netlink socket", .netlink(NLE_NOMEM)) }
            let r = nl_connect(s, NETLINK_ROUTE)
            guard r == 0 else {
                nl_socket_free(s)
                throw NetworkError("connect a NETLINK_ROUTE socket", .netlink(-r))
            }
            return s
        }
        self.sock = sock
        do {
            worker = try SerialThread()
        } catch {
            nl_close(sock)
            nl_socket_free(sock)
            throw error
        }
    }

    deinit {
        worker.stop()
        nl_close(sock)
        nl_socket_free(sock)
    }

    /// Runs `body` with this client on its own thread; the calling task is suspended, not blocked.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (RouteNetlink) throws(NetworkError) -> T)
        async throws(NetworkError) -> T {
        let result: Result<T, NetworkError> = await worker.run { [self] in
            do throws(NetworkError) { return .success(try body(self)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Queues `body` on this client's thread without waiting: queued bodies run one at a time in the order they
    /// were queued, before any later ``perform(_:)``. For a caller that must not suspend between changes whose
    /// order matters (VIPs added, then announced).
    public func enqueue(_ body: @escaping @Sendable (RouteNetlink) -> Void) {
        worker.submit { [self] in body(self) }
    }

    /// ``enqueue(_:)``, but when nothing is queued or running, `body` runs on the calling thread at once instead of
    /// waking this client's thread: for a change on a critical path that is short (an address added to take over a
    /// VIP). The order with queued bodies is kept.
    public func enqueueOrRunHere(_ body: @escaping @Sendable (RouteNetlink) -> Void) {
        worker.runHereIfIdle { [self] in body(self) }
    }

    // MARK: - Interfaces

    /// The interface called `name` (`RTM_GETLINK`): index, flags, MAC.
    /// - Throws: naming the interface; `.netlink(NLE_OBJ_NOTFOUND)` or `NLE_NODEV` when there is none.
    public func interface(named name: String) throws(NetworkError) -> NetworkInterface {
        try link(index: 0, name: name, what: "look up interface \(name)")
    }

    /// The interface with index `index`.
    public func interface(index: Int32) throws(NetworkError) -> NetworkInterface {
        try link(index: index, name: nil, what: "look up interface index \(index)")
    }

    private func link(index: Int32, name: String?, what: String) throws(NetworkError) -> NetworkInterface {
        var link: OpaquePointer?
        let r = lock.withLock { _ in
            if let name { return rtnl_link_get_kernel(sock, index, name, &link) }
            return rtnl_link_get_kernel(sock, index, nil, &link)
        }
        guard r == 0, let link else { throw NetworkError(what, .netlink(r < 0 ? -r : NLE_OBJ_NOTFOUND)) }
        defer { rtnl_link_put(link) }
        let mac = rtnl_link_get_addr(link).flatMap { a -> MACAddress? in
            guard nl_addr_get_len(a) == 6, let p = nl_addr_get_binary_addr(a) else { return nil }
            return MACAddress(bytes: UnsafeRawBufferPointer(start: p, count: 6))
        }
        return NetworkInterface(name: String(cString: rtnl_link_get_name(link)), index: rtnl_link_get_ifindex(link),
                                flags: rtnl_link_get_flags(link), mac: mac)
    }

    // MARK: - Addresses

    /// Adds an address to an interface (`RTM_NEWADDR` with CREATE|EXCL, as keepalived's `ip addr add`).
    /// - Returns: ``AddChange/alreadyPresent`` for EEXIST, which is harmless.
    /// - Throws: naming the address and interface.
    @discardableResult
    public func addAddress(_ address: InterfaceAddress, to interface: NetworkInterface) throws(NetworkError) -> AddChange {
        // The text only for an error: this is a takeover's critical path.
        func what() -> String { "add address \(address) to \(interface)" }
        let r = try withAddress(address, on: interface, what: what()) { a in rtnl_addr_add(sock, a, NLM_F_EXCL) }
        if r == -NLE_EXIST { return .alreadyPresent }
        guard r >= 0 else { throw NetworkError(what(), .netlink(-r)) }
        return .added
    }

    /// Deletes an address from an interface (`RTM_DELADDR`).
    /// - Returns: ``DeleteChange/notPresent`` for EADDRNOTAVAIL, which is harmless.
    /// - Throws: naming the address and interface.
    @discardableResult
    public func deleteAddress(_ address: InterfaceAddress, from interface: NetworkInterface) throws(NetworkError) -> DeleteChange {
        func what() -> String { "delete address \(address) from \(interface)" }
        let r = try withAddress(address, on: interface, what: what()) { a in rtnl_addr_delete(sock, a, 0) }
        if r == -NLE_NOADDR || r == -NLE_OBJ_NOTFOUND { return .notPresent }
        guard r >= 0 else { throw NetworkError(what(), .netlink(-r)) }
        return .deleted
    }

    /// The addresses on an interface (all interfaces when `nil`), each with its interface index, in the kernel's
    /// order (`ip addr show`).
    public func addresses(on interface: NetworkInterface? = nil) throws(NetworkError) -> [InterfaceAddress] {
        let what = interface.map { "list addresses of \($0)" } ?? "list addresses"
        var cache: OpaquePointer?
        let r = lock.withLock { _ in rtnl_addr_alloc_cache(sock, &cache) }
        guard r == 0, let cache else { throw NetworkError(what, .netlink(r < 0 ? -r : NLE_NOMEM)) }
        defer { nl_cache_free(cache) }
        var out: [InterfaceAddress] = []
        var object = nl_cache_get_first(cache)
        while let o = object {
            defer { object = nl_cache_get_next(o) }
            let index = rtnl_addr_get_ifindex(o)
            if let interface, index != interface.index { continue }
            guard let local = rtnl_addr_get_local(o), let address = Self.address(local) else { continue }
            var a = InterfaceAddress(address, prefixLength: UInt8(clamping: rtnl_addr_get_prefixlen(o)))
            a.broadcast = rtnl_addr_get_broadcast(o).flatMap(Self.address)
            a.label = rtnl_addr_get_label(o).map { String(cString: $0) }
            a.scope = AddressScope(rawValue: UInt8(clamping: rtnl_addr_get_scope(o)))
            a.flags = UInt32(rtnl_addr_get_flags(o))
            let preferred = rtnl_addr_get_preferred_lifetime(o)
            a.preferredLifetime = preferred == UInt32.max ? nil : preferred
            a.interfaceIndex = index
            out.append(a)
        }
        return out
    }

    /// Builds libnl's address object for `address` on `interface`, runs `body` on it under the lock, frees it.
    private func withAddress(_ address: InterfaceAddress, on interface: NetworkInterface, what: @autoclosure () -> String,
                             _ body: (OpaquePointer) -> Int32) throws(NetworkError) -> Int32 {
        if let problem = address.validate() { throw NetworkError(what(), .invalid(problem)) }
        guard let a = rtnl_addr_alloc() else { throw NetworkError(what(), .netlink(NLE_NOMEM)) }
        defer { rtnl_addr_put(a) }
        rtnl_addr_set_ifindex(a, interface.index)
        let local = try Self.nlAddress(address.address, prefixLength: address.prefixLength, what: what())
        defer { nl_addr_put(local) }
        var r = rtnl_addr_set_local(a, local)   // also sets the family and the prefix length
        guard r == 0 else { throw NetworkError(what(), .netlink(-r)) }
        rtnl_addr_set_prefixlen(a, Int32(address.prefixLength))
        if let broadcast = address.broadcast {
            let b = try Self.nlAddress(broadcast, prefixLength: 32, what: what())
            defer { nl_addr_put(b) }
            r = rtnl_addr_set_broadcast(a, b)
            guard r == 0 else { throw NetworkError(what(), .netlink(-r)) }
        }
        if let label = address.label {
            r = rtnl_addr_set_label(a, label)
            guard r == 0 else { throw NetworkError(what(), .netlink(-r)) }
        }
        rtnl_addr_set_scope(a, Int32(address.scope.rawValue))
        if address.flags != 0 { rtnl_addr_set_flags(a, address.flags) }
        if let preferred = address.preferredLifetime {
            rtnl_addr_set_preferred_lifetime(a, preferred)
            rtnl_addr_set_valid_lifetime(a, UInt32.max)   // forever; a zero valid lifetime would be refused
        }
        return lock.withLock { _ in body(a) }
    }

    // MARK: - Routes

    /// Adds a route (`RTM_NEWROUTE` with CREATE|EXCL).
    /// - Returns: ``AddChange/alreadyPresent`` for EEXIST.
    /// - Throws: naming the route and its interface.
    @discardableResult
    public func addRoute(_ route: Route) throws(NetworkError) -> AddChange {
        let what = "add route \(route)"
        let r = try withRoute(route, what: what) { rt in rtnl_route_add(sock, rt, NLM_F_EXCL) }
        if r == -NLE_EXIST { return .alreadyPresent }
        guard r >= 0 else { throw NetworkError(what, .netlink(-r)) }
        return .added
    }

    /// Deletes a route (`RTM_DELROUTE`).
    /// - Returns: ``DeleteChange/notPresent`` when the kernel has no such route (ESRCH).
    @discardableResult
    public func deleteRoute(_ route: Route) throws(NetworkError) -> DeleteChange {
        let what = "delete route \(route)"
        let r = try withRoute(route, what: what) { rt in rtnl_route_delete(sock, rt, 0) }
        if r == -NLE_OBJ_NOTFOUND || r == -NLE_NOADDR { return .notPresent }
        guard r >= 0 else { throw NetworkError(what, .netlink(-r)) }
        return .deleted
    }

    private func withRoute(_ route: Route, what: String, _ body: (OpaquePointer) -> Int32) throws(NetworkError) -> Int32 {
        if let problem = route.validate() { throw NetworkError(what, .invalid(problem)) }
        guard let rt = rtnl_route_alloc() else { throw NetworkError(what, .netlink(NLE_NOMEM)) }
        defer { rtnl_route_put(rt) }
        _ = rtnl_route_set_family(rt, UInt8(route.destination.family == .ipv4 ? AF_INET : AF_INET6))
        let dst = try Self.nlAddress(route.destination, prefixLength: route.prefixLength, what: what)
        defer { nl_addr_put(dst) }
        var r = rtnl_route_set_dst(rt, dst)
        guard r == 0 else { throw NetworkError(what, .netlink(-r)) }
        rtnl_route_set_table(rt, route.table)
        rtnl_route_set_protocol(rt, route.proto)
        r = rtnl_route_set_type(rt, route.type.rawValue)
        guard r == 0 else { throw NetworkError(what, .netlink(-r)) }
        if let scope = route.scope { rtnl_route_set_scope(rt, scope.rawValue) }
        if let metric = route.metric { rtnl_route_set_priority(rt, metric) }
        if let source = route.preferredSource {
            let s = try Self.nlAddress(source, prefixLength: source.family == .ipv4 ? 32 : 128, what: what)
            defer { nl_addr_put(s) }
            r = rtnl_route_set_pref_src(rt, s)
            guard r == 0 else { throw NetworkError(what, .netlink(-r)) }
        }
        if route.gateway != nil || route.interface != nil {
            guard let nh = rtnl_route_nh_alloc() else { throw NetworkError(what, .netlink(NLE_NOMEM)) }
            if let interface = route.interface { rtnl_route_nh_set_ifindex(nh, interface.index) }
            if let gateway = route.gateway {
                let g = try Self.nlAddress(gateway, prefixLength: gateway.family == .ipv4 ? 32 : 128, what: what)
                rtnl_route_nh_set_gateway(nh, g)   // takes its own reference
                nl_addr_put(g)
            }
            rtnl_route_add_nexthop(rt, nh)   // the route owns the next hop from here on
        }
        return lock.withLock { _ in body(rt) }
    }

    // MARK: - Helpers

    private static func nlAddress(_ address: VRRPAddress, prefixLength: UInt8, what: @autoclosure () -> String) throws(NetworkError) -> OpaquePointer {
        let bytes = address.bytes
        let family = address.family == .ipv4 ? AF_INET : AF_INET6
        guard let a = bytes.withUnsafeBytes({ nl_addr_build(family, $0.baseAddress, $0.count) }) else {
            throw NetworkError(what(), .netlink(NLE_NOMEM))
        }
        nl_addr_set_prefixlen(a, Int32(prefixLength))
        return a
    }

    private static func address(_ a: OpaquePointer) -> VRRPAddress? {
        let n = Int(nl_addr_get_len(a))
        guard n == 4 || n == 16, let p = nl_addr_get_binary_addr(a) else { return nil }
        return VRRPAddress(bytes: UnsafeRawBufferPointer(start: p, count: n))
    }
}
