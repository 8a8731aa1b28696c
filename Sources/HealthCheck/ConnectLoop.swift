import CConnectShim
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The thread of a ``TCPConnectProber``: starts connects, waits for them in one epoll set, expires them from a
/// deadline heap, and hands the verdicts back in batches. Confined to its thread.
final class ConnectLoop {
    /// The epoll token of the wake-up eventfd (no slot has this index).
    static let wakeToken = UInt64.max

    private struct Slot {
        var fd: Int32 = -1
        var generation: UInt32 = 0
        var start: UInt64 = 0
        var target: CheckTarget?
        var promise: EventLoopPromise<ProbeResult>?
    }

    private let owner: TCPConnectProber
    private let epollFD: Int32
    private let wakeFD: Int32
    private var slots: [Slot] = []
    private var freeSlots: [Int32] = []
    private var deadlines = ConnectDeadlineHeap()
    private var tokens = [UInt64](repeating: 0, count: 256)
    private var verdicts: [(promise: EventLoopPromise<ProbeResult>, result: ProbeResult)] = []

    init(owner: TCPConnectProber, epollFD: Int32, wakeFD: Int32) {
        self.owner = owner
        self.epollFD = epollFD
        self.wakeFD = wakeFD
    }

    /// Serves requests until the owner stops.
    func run() {
        while true {
            let count = tokens.withUnsafeMutableBufferPointer { buffer in
                cs_epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), waitMilliseconds())
            }
            var woken = false
            if count > 0 {
                for index in 0..<Int(count) {
                    let token = tokens[index]
                    if token == Self.wakeToken { woken = true } else { finishConnect(token) }
                }
            } else if count < 0 {
                // epoll itself failed (it should not): avoid spinning.
                usleep(1000)
            }
            if woken {
                cs_eventfd_drain(wakeFD)
                let (requests, stop) = owner.takePending()
                if stop {
                    stopAll(requests)
                    return
                }
                for request in requests { start(request) }
            }
            expireDeadlines()
            handBack()
        }
    }

    private func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Milliseconds until the earliest live deadline (rounded up), or -1 for none.
    private func waitMilliseconds() -> Int32 {
        while let first = deadlines.first, !isLive(slot: first.slot, generation: first.generation) {
            _ = deadlines.pop()
        }
        guard let first = deadlines.first else { return -1 }
        let current = now()
        guard first.deadline > current else { return 0 }
        let millis = (first.deadline - current + 999_999) / 1_000_000
        return Int32(clamping: millis)
    }

    private func isLive(slot: Int32, generation: UInt32) -> Bool {
        let index = Int(slot)
        return index >= 0 && index < slots.count && slots[index].fd >= 0 && slots[index].generation == generation
    }

    private func start(_ request: TCPConnectProber.Request) {
        var error: Int32 = 0
        var stage: Int32 = 0
        var target = request.target.storage
        let targetLength = request.target.length
        let hasMark: Int32 = request.mark == nil ? 0 : 1
        let mark = request.mark ?? 0
        let fd: Int32 = withUnsafePointer(to: &target) { targetPointer in
            guard let local = request.local else {
                return cs_connect_start(targetPointer, targetLength, nil, 0, hasMark, mark, &error, &stage)
            }
            let length = local.length
            var storage = local.storage
            return withUnsafePointer(to: &storage) { localPointer in
                cs_connect_start(targetPointer, targetLength, localPointer, length, hasMark, mark, &error, &stage)
            }
        }
        guard fd >= 0 else {
            complete(request.promise, failure: Self.startFailure(stage: stage, errno: error, request: request),
                     start: request.start)
            return
        }
        if error == 0 {
            close(fd)
            complete(request.promise, failure: nil, start: request.start)
            return
        }
        let index: Int32
        if let reused = freeSlots.popLast() {
            index = reused
        } else {
            index = Int32(slots.count)
            slots.append(Slot())
        }
        let generation = slots[Int(index)].generation
        let token = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: index))
        guard cs_epoll_watch_connect(epollFD, fd, token) == 0 else {
            let why = errno
            close(fd)
            freeSlots.append(index)
            complete(request.promise, failure: .connectionFailed("epoll_ctl: \(Self.describe(why))"), start: request.start)
            return
        }
        slots[Int(index)].fd = fd
        slots[Int(index)].start = request.start
        slots[Int(index)].target = request.checkTarget
        slots[Int(index)].promise = request.promise
        deadlines.push(.init(deadline: request.start &+ request.timeout, slot: index, generation: generation))
    }

    /// A connect became writable or failed: its verdict is the socket's pending error.
    private func finishConnect(_ token: UInt64) {
        let index = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        let generation = UInt32(truncatingIfNeeded: token >> 32)
        guard isLive(slot: index, generation: generation) else { return }
        let fd = slots[Int(index)].fd
        let error = cs_socket_error(fd)
        let target = slots[Int(index)].target
        let (promise, start) = release(index)
        guard let promise else { return }
        let failure = error == 0 ? nil : Self.connectFailure(errno: error, target: target.map { "\($0)" } ?? "?")
        complete(promise, failure: failure, start: start)
    }

    private func expireDeadlines() {
        let current = now()
        while let first = deadlines.first, first.deadline <= current {
            _ = deadlines.pop()
            guard isLive(slot: first.slot, generation: first.generation) else { continue }
            let (promise, start) = release(first.slot)
            if let promise { complete(promise, failure: .connectTimeout, start: start) }
        }
    }

    /// Closes a slot's socket (which also leaves the epoll set) and frees the slot for reuse.
    private func release(_ index: Int32) -> (EventLoopPromise<ProbeResult>?, UInt64) {
        let i = Int(index)
        close(slots[i].fd)
        let promise = slots[i].promise
        let start = slots[i].start
        slots[i].fd = -1
        slots[i].promise = nil
        slots[i].target = nil
        slots[i].generation &+= 1
        freeSlots.append(index)
        return (promise, start)
    }

    private func complete(_ promise: EventLoopPromise<ProbeResult>, failure: ProbeFailure?, start: UInt64) {
        let end = now()
        let latency = Duration.nanoseconds(Int64(clamping: end >= start ? end - start : 0))
        verdicts.append((promise, ProbeResult(failure: failure, latency: latency)))
    }

    /// Completes this wake-up's verdicts with one `execute` per event loop.
    private func handBack() {
        guard !verdicts.isEmpty else { return }
        // Nearly always one event loop (the engine's): a linear search beats hashing.
        var batches: [(loop: any EventLoop, items: [(EventLoopPromise<ProbeResult>, ProbeResult)])] = []
        for (promise, result) in verdicts {
            let loop = promise.futureResult.eventLoop
            if let index = batches.firstIndex(where: { $0.loop === loop }) {
                batches[index].items.append((promise, result))
            } else {
                batches.append((loop, [(promise, result)]))
            }
        }
        verdicts.removeAll(keepingCapacity: true)
        for batch in batches {
            let items = batch.items
            batch.loop.execute {
                for (promise, result) in items { promise.succeed(result) }
            }
        }
    }

    /// Ends every connect in flight and every queued request, and closes the thread's descriptors.
    private func stopAll(_ requests: [TCPConnectProber.Request]) {
        let failure = ProbeFailure.connectionFailed("the TCP connect prober was shut down")
        for request in requests { complete(request.promise, failure: failure, start: request.start) }
        for index in slots.indices where slots[index].fd >= 0 {
            let (promise, start) = release(Int32(index))
            if let promise { complete(promise, failure: failure, start: start) }
        }
        handBack()
        close(wakeFD)
        close(epollFD)
    }

    /// The failure for a connect that could not start.
    static func startFailure(stage: Int32, errno error: Int32, request: TCPConnectProber.Request) -> ProbeFailure {
        switch stage {
        case Int32(CS_STAGE_SOCKET): .connectionFailed("socket: \(describe(error))")
        case Int32(CS_STAGE_MARK): .connectionFailed("SO_MARK: \(describe(error))")
        case Int32(CS_STAGE_BIND): .connectionFailed("bind: \(describe(error))")
        default: connectFailure(errno: error, target: "\(request.checkTarget)")
        }
    }

    /// Maps a connect's errno to a failure (as ``connectFailure(_:)`` does for NIO's errors).
    static func connectFailure(errno error: Int32, target: String) -> ProbeFailure {
        switch error {
        case ECONNREFUSED: .connectionRefused
        case ETIMEDOUT: .connectTimeout
        default: .connectionFailed("connect to \(target): \(describe(error))")
        }
    }

    static func describe(_ error: Int32) -> String {
        "\(String(cString: strerror(error))) (errno \(error))"
    }
}
