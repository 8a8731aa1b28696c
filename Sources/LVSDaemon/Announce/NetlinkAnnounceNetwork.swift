import IPVSKit
import VRRP
import VRRPNetwork

/// ``AnnounceNetwork`` over rtnetlink (VRRPNetwork's ``RouteNetlink``, libnl-route-3): every call runs on the
/// netlink client's own thread, never on the cooperative pool.
public final class NetlinkAnnounceNetwork: AnnounceNetwork {
    private let netlink: RouteNetlink

    /// Opens the rtnetlink socket in `networkNamespace` (`nil`: lvsd's own).
    public init(networkNamespace: String? = nil) throws(AnnounceError) {
        do throws(NetworkError) {
            netlink = try RouteNetlink(networkNamespace: networkNamespace)
        } catch {
            throw AnnounceError("\(error)")
        }
    }

    public func sync(interface: String, wanted: Set<IPAddress>, local: [IPAddress]) async throws(AnnounceError) -> AnnounceSync {
        do throws(NetworkError) {
            return try await netlink.perform { nl throws(NetworkError) in
                try Self.sync(nl, interface: interface, wanted: wanted, local: local)
            }
        } catch {
            throw AnnounceError("\(error)")
        }
    }

    /// The blocking part, on the netlink thread.
    static func sync(_ nl: RouteNetlink, interface name: String, wanted: Set<IPAddress>,
                     local: [IPAddress]) throws(NetworkError) -> AnnounceSync {
        var result = AnnounceSync()
        if !local.isEmpty {
            let lo = try nl.interface(named: "lo")
            for a in local { if let ia = interfaceAddress(a) { try nl.addAddress(ia, to: lo) } }
        }
        let link: NetworkInterface
        if wanted.isEmpty {
            guard let existing = try? nl.interface(named: name) else { return result }
            link = existing
        } else {
            let ensured = try nl.ensureDummyInterface(named: name)
            link = ensured.interface
            result.createdInterface = ensured.created
        }
        let present = try nl.addresses(on: link)
        var have = Set<IPAddress>()
        for a in present {
            guard let ip = IPAddress(bytes: a.address.bytes, family: a.address.family == .ipv4 ? .inet : .inet6) else { continue }
            // Link-local IPv6 addresses the kernel gives the interface itself are not lvsd's.
            if ip.family == .inet6 && a.scope != .global { continue }
            if wanted.contains(ip) && a.prefixLength == (ip.family == .inet ? 32 : 128) {
                have.insert(ip)
            } else {
                try nl.deleteAddress(a, from: link)
                result.removed.append(ip)
            }
        }
        for ip in wanted.sorted() where !have.contains(ip) {
            guard let ia = interfaceAddress(ip) else { continue }
            try nl.addAddress(ia, to: link)
            result.added.append(ip)
        }
        return result
    }

    /// `ADDRESS/32` (`/128`, no DAD, preferred forever) as VRRPNetwork's address.
    static func interfaceAddress(_ ip: IPAddress) -> InterfaceAddress? {
        guard let v = VRRPAddress(bytes: ip.bytes) else { return nil }
        var a = InterfaceAddress(v)
        a.preferredLifetime = nil
        return a
    }
}
