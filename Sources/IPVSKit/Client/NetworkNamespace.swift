import CIPVSShim
#if canImport(Glibc)
import Glibc
#endif

/// Network namespaces as `ip netns` names them: the one place that turns a name into a path and switches a thread
/// (or the whole single-threaded process) into a namespace. IPVS tables, addresses and routes are per namespace.
public enum NetworkNamespace {
    /// The path of a namespace given as a name (`blue`, meaning `/var/run/netns/blue`) or already as a path
    /// (`/proc/1234/ns/net`).
    public static func path(for nameOrPath: String) -> String {
        nameOrPath.contains("/") ? nameOrPath : "/var/run/netns/\(nameOrPath)"
    }

    /// Moves the calling thread into the namespace for good. Meant for a program that enters one namespace before
    /// it starts any other thread (lvsctl's `--netns`), so that everything it opens afterwards (netlink sockets,
    /// `/proc/net/ip_vs_conn`) is that namespace's.
    /// - Throws: ``IPVSError/system(what:errno:)`` naming the path when it cannot be opened or entered.
    public static func enter(_ nameOrPath: String) throws(IPVSError) {
        let path = path(for: nameOrPath)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(what: "open network namespace \(path)", errno: cipvs_errno()) }
        defer { close(fd) }
        guard cipvs_setns(fd, cipvs_clone_newnet()) == 0 else { throw .system(what: "setns \(path)", errno: cipvs_errno()) }
    }

    /// Runs `body` with the calling thread switched into the namespace at `path`, then switches the thread back.
    static func during<T>(_ path: String, _ body: () throws(IPVSError) -> T) throws(IPVSError) -> T {
        try during(path, body, failure: { IPVSError.system(what: $0, errno: $1) })
    }

    /// Runs `body` with the calling thread switched into the namespace at `path`, then switches the thread back;
    /// `failure` makes the caller's error from what could not be done and its errno. Sockets belong to the
    /// namespace of the thread that creates them, so this is how a library makes its sockets in a namespace.
    package static func during<T, E: Error>(_ path: String, _ body: () throws(E) -> T,
                                           failure: (_ what: String, _ errno: Int32) -> E) throws(E) -> T {
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw failure("open network namespace \(path)", cipvs_errno()) }
        defer { close(target) }
        let saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard saved >= 0 else { throw failure("open /proc/thread-self/ns/net", cipvs_errno()) }
        defer { close(saved) }
        guard cipvs_setns(target, cipvs_clone_newnet()) == 0 else {
            throw failure("setns \(path)", cipvs_errno())
        }
        let result: Result<T, E>
        do throws(E) { result = .success(try body()) } catch { result = .failure(error) }
        guard cipvs_setns(saved, cipvs_clone_newnet()) == 0 else {
            // The thread is stranded in the other namespace; nothing sane can continue on it.
            fatalError("cannot return to the original network namespace (errno \(cipvs_errno()))")
        }
        return try result.get()
    }
}
