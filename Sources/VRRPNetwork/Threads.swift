import CVRRPShim
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Starts a detached thread running `body`: 0, or pthread_create's error number. Every blocking wait of this
/// library (a receive loop, the netlink watcher, a netlink request) runs on such a thread, never on Swift's
/// cooperative pool.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { raw in
        guard let raw else { return nil }
        Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().run()
        return nil
    }, box)
    guard created == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        return created
    }
    pthread_detach(thread)
    return 0
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// One thread of its own that runs submitted work in order, one item at a time; callers await the result.
final class SerialThread: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    init() throws(NetworkError) {
        let created = startDetachedThread { [self] in loop() }
        guard created == 0 else { throw NetworkError("start a worker thread", .errno(created)) }
    }

    private func loop() {
        while true {
            wake.wait()
            let job: (@Sendable () -> Void)? = state.withLock { s in
                s.jobs.isEmpty ? nil : s.jobs.removeFirst()
            }
            if let job { job() } else if state.withLock({ $0.stopped }) { return }
        }
    }

    /// Runs `work` on the thread; the calling task is suspended, not blocked.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let accepted = state.withLock { s in
                guard !s.stopped else { return false }
                s.jobs.append { continuation.resume(returning: work()) }
                return true
            }
            if accepted { wake.signal() } else { continuation.resume(returning: work()) }
        }
    }

    /// Lets queued work finish, then ends the thread.
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }
}

/// Network namespaces by `ip netns` name (`blue` is `/var/run/netns/blue`) or path (`/proc/1234/ns/net`).
///
/// Sockets (raw, packet, netlink) belong to the namespace of the thread that creates them, for their whole life;
/// this library creates each socket inside ``during(_:_:)`` and then uses it from any thread.
public enum NetworkNamespace {
    /// The path of a namespace given as a name or a path.
    public static func path(for nameOrPath: String) -> String {
        nameOrPath.contains("/") ? nameOrPath : "/var/run/netns/\(nameOrPath)"
    }

    /// Runs `body` with the calling thread in the namespace (none: where it is), then switches the thread back.
    static func during<T>(_ nameOrPath: String?, _ body: () throws(NetworkError) -> T) throws(NetworkError) -> T {
        guard let nameOrPath else { return try body() }
        let path = path(for: nameOrPath)
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw NetworkError("open network namespace \(path)", .errno(cvrrp_errno())) }
        defer { close(target) }
        let saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard saved >= 0 else { throw NetworkError("open /proc/thread-self/ns/net", .errno(cvrrp_errno())) }
        defer { close(saved) }
        let entered = cvrrp_setns_net(target)
        guard entered == 0 else { throw NetworkError("enter network namespace \(path)", .errno(-entered)) }
        let result: Result<T, NetworkError>
        do throws(NetworkError) { result = .success(try body()) } catch { result = .failure(error) }
        guard cvrrp_setns_net(saved) == 0 else {
            // The thread is stranded in the other namespace; nothing sane can continue on it.
            fatalError("VRRPNetwork: cannot return to the original network namespace")
        }
        return try result.get()
    }
}
