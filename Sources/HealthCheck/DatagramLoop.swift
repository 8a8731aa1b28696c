import CConnectShim
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The thread of a ``DatagramProber``: opens each probe's socket and sends its datagram, waits for answers in
/// one epoll set, judges every datagram received, and expires probes from a deadline heap. Confined to its thread.
final class DatagramLoop {
    /// The epoll token of the wake-up eventfd (no slot has this index).
    static let wakeToken = UInt64.max
    /// The largest datagram read (longer ones are cut, which a length bound then rejects).
    static let receiveCapacity = 65_536

    private struct Slot {
        var fd: Int32 = -1
        var generation: UInt32 = 0
        var raw = false
        var request: DatagramProber.Request?
    }

    private let owner: DatagramProber
    private let epollFD: Int32
    private let wakeFD: Int32
    private var slots: [Slot] = []
    private var freeSlots: [Int32] = []
    private var deadlines = ConnectDeadlineHeap()
    private var tokens = [UInt64](repeating: 0, count: 256)
    private var buffer = [UInt8](repeating: 0, count: DatagramLoop.receiveCapacity)
    /// Set once the kernel refused a ping socket: PING_CHECK uses raw sockets from then on.
    private var pingSocketRefused = false

    init(owner: DatagramProber, epollFD: Int32, wakeFD: Int32) {
        self.owner = owner
        self.epollFD = epollFD
        self.wakeFD = wakeFD
    }

    /// Serves requests until the owner stops.
    func run() {
        while true {
            let count = tokens.withUnsafeMutableBufferPointer { tokens in
                cs_epoll_wait(epollFD, tokens.baseAddress, Int32(tokens.count), waitMilliseconds())
            }
            var woken = false
            if count > 0 {
                for index in 0..<Int(count) {
                    let token = tokens[index]
                    if token == Self.wakeToken { woken = true } else { receive(token) }
                }
            } else if count < 0 {
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
        }
    }

    private func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    private func waitMilliseconds() -> Int32 {
        while let first = deadlines.first, !isLive(first.slot, first.generation) { _ = deadlines.pop() }
        guard let next = deadlines.first?.deadline else { return -1 }
        let current = now()
        guard next > current else { return 0 }
        return Int32(clamping: (next - current + 999_999) / 1_000_000)
    }

    private func isLive(_ slot: Int32, _ generation: UInt32) -> Bool {
        let index = Int(slot)
        return index >= 0 && index < slots.count && slots[index].fd >= 0 && slots[index].generation == generation
    }

    /// Opens the socket, sends the datagram, and waits for answers.
    private func start(_ request: DatagramProber.Request) {
        var kind = request.kind
        if kind == Int32(CS_DATAGRAM_PING) && pingSocketRefused { kind = Int32(CS_DATAGRAM_RAW_ICMP) }
        var (fd, error, stage) = open(request, kind: kind)
        if fd < 0, kind == Int32(CS_DATAGRAM_PING), stage == Int32(CS_STAGE_SOCKET),
           [EACCES, EPERM, EPROTONOSUPPORT, ESOCKTNOSUPPORT].contains(error) {
            pingSocketRefused = true
            kind = Int32(CS_DATAGRAM_RAW_ICMP)
            (fd, error, stage) = open(request, kind: kind)
        }
        guard fd >= 0 else {
            finish(request, failure: Self.openFailure(stage: stage, errno: error))
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
        guard cs_epoll_watch_read(epollFD, fd, token) == 0 else {
            let why = errno
            close(fd)
            freeSlots.append(index)
            finish(request, failure: .connectionFailed("epoll_ctl: \(ConnectLoop.describe(why))"))
            return
        }
        slots[Int(index)].fd = fd
        slots[Int(index)].raw = kind == Int32(CS_DATAGRAM_RAW_ICMP)
        slots[Int(index)].request = request
        deadlines.push(.init(deadline: request.start &+ request.timeout, slot: index, generation: generation))
    }

    private func open(_ request: DatagramProber.Request, kind: Int32) -> (fd: Int32, error: Int32, stage: Int32) {
        var error: Int32 = 0, stage: Int32 = 0
        var target = request.target
        let local = request.local
        let fd = request.payload.withUnsafeBufferPointer { payload in
            withUnsafePointer(to: &target.storage) { targetStorage in
                if var local {
                    return withUnsafePointer(to: &local.storage) { localStorage in
                        cs_datagram_open(kind, targetStorage, target.length, localStorage, local.length,
                                         request.mark == nil ? 0 : 1, request.mark ?? 0, payload.baseAddress,
                                         payload.count, &error, &stage)
                    }
                }
                return cs_datagram_open(kind, targetStorage, target.length, nil, 0, request.mark == nil ? 0 : 1,
                                        request.mark ?? 0, payload.baseAddress, payload.count, &error, &stage)
            }
        }
        return (fd, error, stage)
    }

    /// Reads every datagram waiting on a slot's socket until one decides the probe.
    private func receive(_ token: UInt64) {
        let index = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        let generation = UInt32(truncatingIfNeeded: token >> 32)
        guard isLive(index, generation), let request = slots[Int(index)].request else { return }
        let fd = slots[Int(index)].fd
        let raw = slots[Int(index)].raw
        while true {
            let length = buffer.withUnsafeMutableBufferPointer { cs_datagram_recv(fd, $0.baseAddress, $0.count) }
            if length < 0 {
                let error = errno
                if error == EAGAIN || error == EWOULDBLOCK { return }
                release(index)
                finish(request, failure: error == ECONNREFUSED
                       ? .connectionRefused
                       : .receiveError(errno: error, message: String(cString: strerror(error))))
                return
            }
            switch request.judge(Array(buffer[0..<Int(length)]), raw) {
            case .ignore:
                continue
            case .success:
                release(index)
                finish(request, failure: nil)
                return
            case .failure(let failure):
                release(index)
                finish(request, failure: failure)
                return
            }
        }
    }

    private func expireDeadlines() {
        let current = now()
        while let first = deadlines.first, first.deadline <= current {
            _ = deadlines.pop()
            guard isLive(first.slot, first.generation), let request = slots[Int(first.slot)].request else { continue }
            release(first.slot)
            finish(request, failure: request.timeoutFailure)
        }
    }

    /// Closes a slot's socket (which also leaves the epoll set) and frees the slot.
    private func release(_ index: Int32) {
        let i = Int(index)
        close(slots[i].fd)
        slots[i].fd = -1
        slots[i].request = nil
        slots[i].generation &+= 1
        freeSlots.append(index)
    }

    private func finish(_ request: DatagramProber.Request, failure: ProbeFailure?) {
        let end = now()
        let latency = Duration.nanoseconds(Int64(clamping: end >= request.start ? end - request.start : 0))
        request.promise.succeed(ProbeResult(failure: failure, latency: latency))
    }

    /// Ends every probe waiting or queued, and closes the thread's descriptors.
    private func stopAll(_ requests: [DatagramProber.Request]) {
        let failure = ProbeFailure.connectionFailed("the datagram prober was shut down")
        for request in requests { finish(request, failure: failure) }
        for index in slots.indices where slots[index].fd >= 0 {
            if let request = slots[index].request {
                release(Int32(index))
                finish(request, failure: failure)
            }
        }
        close(wakeFD)
        close(epollFD)
    }

    /// The failure for a socket that could not be opened, bound, connected or sent on.
    static func openFailure(stage: Int32, errno error: Int32) -> ProbeFailure {
        switch stage {
        case Int32(CS_STAGE_SOCKET): .connectionFailed("socket: \(ConnectLoop.describe(error))")
        case Int32(CS_STAGE_MARK): .connectionFailed("SO_MARK: \(ConnectLoop.describe(error))")
        case Int32(CS_STAGE_BIND): .connectionFailed("bind: \(ConnectLoop.describe(error))")
        case Int32(CS_STAGE_SEND) where error == ECONNREFUSED: .connectionRefused
        case Int32(CS_STAGE_SEND): .connectionFailed("send: \(ConnectLoop.describe(error))")
        default: .connectionFailed("connect: \(ConnectLoop.describe(error))")
        }
    }
}
