import CLibNLRoute
#if canImport(Glibc)
import Glibc
#endif

extension RouteNetlink {
    /// The interface called `name`, created as a `dummy` link (`RTM_NEWLINK`, kind `dummy`) when there is none,
    /// and set up (`IFF_UP`) when it is down: the interface lvsd's announcements live on.
    ///
    /// - Returns: the interface, up, and whether this call created it.
    /// - Throws: naming the interface (the kernel has no `dummy` support, no permission, ...).
    public func ensureDummyInterface(named name: String) throws(NetworkError) -> (interface: NetworkInterface, created: Bool) {
        var created = false
        if (try? interface(named: name)) == nil {
            let what = "create dummy interface \(name)"
            guard let link = rtnl_link_alloc() else { throw NetworkError(what, .netlink(NLE_NOMEM)) }
            defer { rtnl_link_put(link) }
            rtnl_link_set_name(link, name)
            var r = rtnl_link_set_type(link, "dummy")
            guard r == 0 else { throw NetworkError(what, .netlink(-r)) }
            rtnl_link_set_flags(link, UInt32(IFF_UP))
            r = lock.withLock { _ in rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL) }
            if r < 0 && r != -NLE_EXIST { throw NetworkError(what, .netlink(-r)) }
            created = r == 0
        }
        var found = try interface(named: name)
        if !found.isUp {
            try setUp(found)
            found = try interface(named: name)
        }
        return (found, created)
    }

    /// Sets an interface up (`ip link set NAME up`).
    public func setUp(_ interface: NetworkInterface) throws(NetworkError) {
        let what = "set \(interface) up"
        var original: OpaquePointer?
        var r = lock.withLock { _ in rtnl_link_get_kernel(sock, interface.index, nil, &original) }
        guard r == 0, let original else { throw NetworkError(what, .netlink(r < 0 ? -r : NLE_OBJ_NOTFOUND)) }
        defer { rtnl_link_put(original) }
        guard let change = rtnl_link_alloc() else { throw NetworkError(what, .netlink(NLE_NOMEM)) }
        defer { rtnl_link_put(change) }
        rtnl_link_set_flags(change, UInt32(IFF_UP))
        r = lock.withLock { _ in rtnl_link_change(sock, original, change, 0) }
        guard r >= 0 else { throw NetworkError(what, .netlink(-r)) }
    }

    /// Deletes the interface called `name` (`ip link del NAME`); `false` when there was none.
    @discardableResult
    public func deleteInterface(named name: String) throws(NetworkError) -> Bool {
        let what = "delete interface \(name)"
        guard let link = rtnl_link_alloc() else { throw NetworkError(what, .netlink(NLE_NOMEM)) }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let r = lock.withLock { _ in rtnl_link_delete(sock, link) }
        if r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV { return false }
        guard r >= 0 else { throw NetworkError(what, .netlink(-r)) }
        return true
    }
}
