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
        var completion: TCPConnectProber.Completion?
    }

    private let owner: TCPConnectProber
    private let epollFD: Int32
    private let wakeFD: Int32
    private var slots: [Slot] = []
    private var freeSlots: [Int32] = []
    private var deadlines = ConnectDeadlineHeap()
    private var tokens = [UInt64](repeating: 0, count: 256)
    private var verdicts: [(promise: EventLoopPromise<ProbeResult>, result: ProbeResult)] = []
    /// The time of this wake-up's first verdict (see ``complete(_:failure:start:deadline:)``).
    private var wakeTime: UInt64?
    /// Repeated checks waiting for their next start: the heap's slot is an index into `periodics`.
    private var periodicStarts = ConnectDeadlineHeap()
    private var periodics: [PeriodicTCPCheck?] = []
    private var freePeriodics: [Int32] = []

    init(owner: TCPConnectProber, epollFD: Int32, wakeFD: Int32) {
        self.owner = owner
        self.epollFD = epollFD
        self.wakeFD = wakeFD
    }

    /// Serves requests until the owner stops.
    func run() {
        while true {
            owner.stallForTesting()
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
                for request in requests {
                    if case .periodic(let periodic) = request.completion {
                        schedulePeriodic(periodic, at: request.start)
                    } else {
                        start(request)
                    }
                }
            }
            startDuePeriodics()
            expireDeadlines()
            handBack()
            wakeTime = nil
        }
    }

    private func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Milliseconds until the earliest live deadline (rounded up), or -1 for none.
    private func waitMilliseconds() -> Int32 {
        while let first = deadlines.first, !isLive(slot: first.slot, generation: first.generation) {
            _ = deadlines.pop()
        }
        let next = [deadlines.first?.deadline, periodicStarts.first?.deadline].compactMap { $0 }.min()
        guard let next else { return -1 }
        let current = now()
        guard next > current else { return 0 }
        let millis = (next - current + 999_999) / 1_000_000
        return Int32(clamping: millis)
    }

    /// Queues a repeated check's next start.
    private func schedulePeriodic(_ periodic: PeriodicTCPCheck, at time: UInt64) {
        guard !periodic.isCancelled else {
            periodic.closeSpareSocket()
            return
        }
        let index: Int32
        if let reused = freePeriodics.popLast() {
            index = reused
            periodics[Int(index)] = periodic
        } else {
            index = Int32(periodics.count)
            periodics.append(periodic)
        }
        periodicStarts.push(.init(deadline: time, slot: index, generation: 0))
    }

    /// Starts every repeated check that is due.
    private func startDuePeriodics() {
        guard let first = periodicStarts.first else { return }
        let current = wakeNow()
        guard first.deadline <= current else { return }
        // Take every due check first: a connect that completes at once schedules its next start right away.
        var due: [PeriodicTCPCheck] = []
        while let first = periodicStarts.first, first.deadline <= current {
            _ = periodicStarts.pop()
            let index = Int(first.slot)
            guard let periodic = periodics[index] else { continue }
            periodics[index] = nil
            freePeriodics.append(first.slot)
            if periodic.isCancelled { periodic.closeSpareSocket() } else { due.append(periodic) }
        }
        for periodic in due {
            start(periodic.request(startingAt: current))
        }
    }

    private func isLive(slot: Int32, generation: UInt32) -> Bool {
        let index = Int(slot)
        return index >= 0 && index < slots.count && slots[index].fd >= 0 && slots[index].generation == generation
    }

    private func start(_ request: TCPConnectProber.Request) {
        // connect_timeout counts from the connect itself: the time a request waited for this thread (a busy or
        // starved machine) is not the server's, and counting it failed healthy servers under load. The latency
        // still counts from the request (what the check took, as seen by the engine).
        let deadline = max(request.start, wakeNow()) &+ request.timeout
        guard request.timeout > 0 else {
            // connect_timeout 0: expired before it began.
            complete(request.completion, failure: .connectTimeout, start: request.start)
            return
        }
        // A repeated check without a bind reuses the socket its last success left unconnected.
        var reusable: PeriodicTCPCheck?
        if request.local == nil, case .periodic(let periodic) = request.completion { reusable = periodic }
        let reuse = reusable?.takeSpareSocket() ?? -1
        var error: Int32 = 0
        var stage: Int32 = 0
        var target = request.target.storage
        let targetLength = request.target.length
        let hasMark: Int32 = request.mark == nil ? 0 : 1
        let mark = request.mark ?? 0
        let fd: Int32 = withUnsafePointer(to: &target) { targetPointer in
            guard let local = request.local else {
                return cs_connect_start(reuse, targetPointer, targetLength, nil, 0, hasMark, mark, &error, &stage)
            }
            let length = local.length
            var storage = local.storage
            return withUnsafePointer(to: &storage) { localPointer in
                cs_connect_start(reuse, targetPointer, targetLength, localPointer, length, hasMark, mark, &error, &stage)
            }
        }
        guard fd >= 0 else {
            complete(request.completion, failure: Self.startFailure(stage: stage, errno: error, request: request),
                     start: request.start)
            return
        }
        if error == 0 {
            // Connected within the call (a server on this host). The deadline still holds: a connect that only
            // started after it (a backlog of requests, a zero connect_timeout) is a timeout, as with epoll.
            // Reset either way (no TIME_WAIT); a repeated check keeps the socket for its next connect.
            if let reusable, !reusable.isCancelled, cs_disconnect(fd) == 0 {
                reusable.keepSpareSocket(fd)
            } else {
                cs_close_reset(fd)
            }
            complete(request.completion, failure: nil, start: request.start, deadline: deadline)
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
            complete(request.completion, failure: .connectionFailed("epoll_ctl: \(Self.describe(why))"), start: request.start)
            return
        }
        slots[Int(index)].fd = fd
        slots[Int(index)].start = request.start
        slots[Int(index)].target = request.checkTarget
        slots[Int(index)].completion = request.completion
        deadlines.push(.init(deadline: deadline, slot: index, generation: generation))
    }

    /// A connect became writable or failed: its verdict is the socket's pending error.
    private func finishConnect(_ token: UInt64) {
        let index = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        let generation = UInt32(truncatingIfNeeded: token >> 32)
        guard isLive(slot: index, generation: generation) else { return }
        let fd = slots[Int(index)].fd
        let error = cs_socket_error(fd)
        let target = slots[Int(index)].target
        let (completion, start) = release(index, reset: error == 0)
        guard let completion else { return }
        let failure = error == 0 ? nil : Self.connectFailure(errno: error, target: target.map { "\($0)" } ?? "?")
        complete(completion, failure: failure, start: start)
    }

    private func expireDeadlines() {
        let current = wakeNow()
        while let first = deadlines.first, first.deadline <= current {
            _ = deadlines.pop()
            guard isLive(slot: first.slot, generation: first.generation) else { continue }
            // A connect that settled while this thread was not running (a stall, or more completions than one
            // epoll_wait returns) has a verdict waiting: it is not a timeout.
            if cs_connect_settled(slots[Int(first.slot)].fd) == 1 {
                finishConnect(UInt64(first.generation) << 32 | UInt64(UInt32(bitPattern: first.slot)))
                continue
            }
            let (completion, start) = release(first.slot)
            if let completion { complete(completion, failure: .connectTimeout, start: start) }
        }
    }

    /// This wake-up's time, read once: starts, expiries and verdicts of one wake-up all use it (with the read
    /// before sleeping, two clock reads per wake-up; where the clock has no vDSO path, as in the test VM, each is a
    /// system call).
    private func wakeNow() -> UInt64 {
        if let wakeTime { return wakeTime }
        let time = now()
        wakeTime = time
        return time
    }

    /// Closes a slot's socket (which also leaves the epoll set; `reset`: a connected one, see `cs_close_reset`)
    /// and frees the slot for reuse.
    private func release(_ index: Int32, reset: Bool = false) -> (TCPConnectProber.Completion?, UInt64) {
        let i = Int(index)
        if reset { cs_close_reset(slots[i].fd) } else { close(slots[i].fd) }
        let completion = slots[i].completion
        let start = slots[i].start
        slots[i].fd = -1
        slots[i].completion = nil
        slots[i].target = nil
        slots[i].generation &+= 1
        freeSlots.append(index)
        return (completion, start)
    }

    private func complete(_ completion: TCPConnectProber.Completion?, failure: ProbeFailure?, start: UInt64,
                          deadline: UInt64 = .max) {
        guard let completion else { return }
        // One clock read per wake-up, not per verdict (a clock read is a system call where the clock source has
        // no vDSO path, as in the test VM): every verdict of a wake-up ends at the same instant.
        let end = wakeNow()
        let failure = failure == nil && end > deadline ? .connectTimeout : failure
        let latency = Duration.nanoseconds(Int64(clamping: end >= start ? end - start : 0))
        let result = ProbeResult(failure: failure, latency: latency)
        switch completion {
        case .promise(let promise):
            verdicts.append((promise, result))
        case .periodic(let periodic):
            guard !periodic.isCancelled else {
                periodic.closeSpareSocket()
                return
            }
            if result.succeeded == periodic.expectSuccess {
                periodic.observe(result)
                schedulePeriodic(periodic, at: periodic.aligned(end &+ periodic.interval))
            } else {
                periodic.closeSpareSocket()
                periodic.deviate(result)
            }
        }
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
        for request in requests {
            if case .promise = request.completion { complete(request.completion, failure: failure, start: request.start) }
        }
        for index in slots.indices where slots[index].fd >= 0 {
            let (completion, start) = release(Int32(index))
            if let completion, case .promise = completion { complete(completion, failure: failure, start: start) }
        }
        // Repeated checks waiting for their next start give back their kept sockets.
        for periodic in periodics { periodic?.closeSpareSocket() }
        periodics = []
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
