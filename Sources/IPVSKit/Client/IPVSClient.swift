import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A client for the kernel's IPVS tables over one long-lived generic-netlink socket.
///
/// ```swift
/// let ipvs = try IPVSClient()
/// let web = ServiceKey.address(.tcp, IPAddress("10.0.0.1")!, port: 80)
/// try ipvs.addService(Service(key: web, scheduler: "rr"))
/// try ipvs.addDestination(Destination(address: IPAddress("10.0.0.2")!, port: 80, forwarding: .route), to: web)
/// for entry in try ipvs.table() { print(entry.service.key, entry.destinations.count) }
/// ```
///
/// Every call is bounded by ``timeout``: a lost reply is an ``IPVSError/timeout(command:)``, never a hang.
/// Calls from several threads are serialised on the one socket.
public final class IPVSClient: Sendable {
    private let socket: Mutex<NetlinkSocket>
    /// How long one reply may take before the call fails.
    public let timeout: Duration
    /// The generic-netlink family id the kernel assigned to IPVS.
    public let familyID: UInt16
    /// The path of the network namespace this client acts on, or `nil` for the caller's own.
    public let namespacePath: String?

    /// Opens the socket and resolves the IPVS family.
    ///
    /// - Parameters:
    ///   - networkNamespace: `nil` for the caller's namespace; a name (`blue`, meaning `/var/run/netns/blue`) or a
    ///     path (`/proc/1234/ns/net`). IPVS tables are per namespace.
    ///   - timeout: the longest wait for any one reply.
    /// - Throws: ``IPVSError/unavailable(detail:)`` when the kernel has no IPVS.
    public init(networkNamespace: String? = nil, timeout: Duration = .seconds(5)) throws(IPVSError) {
        let path = networkNamespace.map(NetworkNamespace.path(for:))
        let s = try NetlinkSocket(namespacePath: path)
        familyID = s.familyID
        socket = Mutex(s)
        self.timeout = timeout
        namespacePath = path
    }

    private var timeoutMs: Int32 {
        let (s, a) = timeout.components
        return Int32(clamping: s * 1000 + a / 1_000_000_000_000_000)
    }

    // MARK: - Changes

    /// Adds a service.
    public func addService(_ service: Service) throws(IPVSError) { try perform(one: .addService(service)) }
    /// Edits a service in place: scheduler, flags, persistence (connections survive).
    public func updateService(_ service: Service) throws(IPVSError) { try perform(one: .editService(service)) }
    /// Deletes a service and its destinations.
    public func deleteService(_ key: ServiceKey) throws(IPVSError) { try perform(one: .deleteService(key)) }
    /// Adds a destination to a service.
    public func addDestination(_ d: Destination, to key: ServiceKey) throws(IPVSError) { try perform(one: .addDestination(d, service: key)) }
    /// Edits a destination in place (weight, thresholds, forwarding).
    public func updateDestination(_ d: Destination, in key: ServiceKey) throws(IPVSError) { try perform(one: .editDestination(d, service: key)) }
    /// Deletes a destination.
    public func deleteDestination(_ d: DestinationKey, from key: ServiceKey) throws(IPVSError) { try perform(one: .deleteDestination(d, service: key)) }
    /// Deletes every service.
    public func flush() throws(IPVSError) { try perform(one: .flush) }
    /// Zeroes the counters of one service, or of every service when `key` is `nil`.
    public func zero(_ key: ServiceKey? = nil) throws(IPVSError) { try perform(one: .zero(key)) }
    /// Sets connection timeouts; a zero field is left unchanged.
    public func setTimeouts(_ t: Timeouts) throws(IPVSError) { try perform(one: .setTimeouts(t)) }
    /// Starts a sync daemon.
    public func startDaemon(_ d: SyncDaemon) throws(IPVSError) { try perform(one: .startDaemon(d)) }
    /// Stops the sync daemon in `state`.
    public func stopDaemon(_ state: SyncDaemonState) throws(IPVSError) { try perform(one: .stopDaemon(state)) }

    private func perform(one op: IPVSOperation) throws(IPVSError) {
        try perform([op])[0].get()
    }

    /// Applies many operations pipelined: hundreds of requests per `send`, outcomes matched by sequence number.
    ///
    /// Only the last request of each send asks for an ACK: the kernel handles a send's requests in order and
    /// answers every failed one with an error, so when the last one's ACK (or error) arrives, every failure of the
    /// send has arrived before it, and a request without an error succeeded. One ACK per send instead of one per
    /// request halves the kernel's work for a large batch.
    ///
    /// Operations run in order and each succeeds or fails on its own; a failure does not stop the rest.
    /// Operations that fail ``IPVSOperation/validate()`` are not sent, and a refusal never hides what the kernel
    /// would have answered first: a destination refused for a check the kernel makes only once it has found the
    /// service (family, weight, thresholds, tunnel port) is replaced by a request for its service, at its place in
    /// the batch, so a missing service is the kernel's `ESRCH` (ipvsadm's "Service not defined") and only an
    /// existing one gets the refusal.
    /// - Returns: one result per operation, in order.
    public func perform(_ operations: [IPVSOperation]) -> [Result<Void, IPVSError>] {
        var results = [Result<Void, IPVSError>?](repeating: nil, count: operations.count)
        var pending: [Int] = []
        pending.reserveCapacity(operations.count)
        // Refusals that wait for the kernel's answer about the operation's service.
        var refusedAfterLookup: [Int: (service: ServiceKey, refusal: IPVSError)] = [:]
        for (i, op) in operations.enumerated() {
            do throws(IPVSError) { try op.validateRequest() } catch {
                results[i] = .failure(error)
                continue
            }
            do throws(IPVSError) { try op.validateDestinationSettings() } catch {
                guard let key = op.serviceOfDestination else {
                    results[i] = .failure(error)
                    continue
                }
                refusedAfterLookup[i] = (key, error)
            }
            pending.append(i)
        }
        /// The outcome of operation `i` from the kernel's answer to what was sent for it.
        func outcome(_ i: Int, _ answer: Result<Void, IPVSError>) -> Result<Void, IPVSError> {
            guard let refused = refusedAfterLookup[i] else { return answer }
            return answer.flatMap { .failure(refused.refusal) }
        }
        let timeoutMs = self.timeoutMs
        socket.withLock { sock in
            var start = 0
            while start < pending.count {
                let chunk = pending[start..<min(start + sock.window, pending.count)]
                start = chunk.endIndex
                var writer = NetlinkWriter(capacity: chunk.count * 128)
                var bySequence: [UInt32: Int] = [:]
                bySequence.reserveCapacity(chunk.count)
                var lastSequence: UInt32 = 0
                for i in chunk {
                    let seq = sock.nextSequence()
                    bySequence[seq] = i
                    lastSequence = seq
                    if let refused = refusedAfterLookup[i] {
                        IPVSOperation.encodeServiceProbe(refused.service, into: &writer, family: sock.familyID, sequence: seq, port: sock.port)
                    } else {
                        operations[i].encode(into: &writer, family: sock.familyID, sequence: seq, port: sock.port,
                                             acknowledge: i == chunk.last)
                    }
                }
                let command = operations[chunk[chunk.startIndex]].command
                do throws(IPVSError) {
                    try sock.send(writer.bytes, command: command)
                } catch {
                    for i in chunk { results[i] = .failure(error) }
                    continue
                }
                // The kernel handles the whole send synchronously, so every answer is queued (or dropped) by now.
                var overflowed = false
                var finished = false
                while !finished {
                    let messages: [NetlinkMessage]?
                    do throws(IPVSError) {
                        messages = try sock.receiveMany(timeoutMs: overflowed ? 0 : timeoutMs, command: command)
                    } catch {
                        if error.errno == ENOBUFS { overflowed = true; continue }
                        for i in bySequence.values { results[i] = .failure(error) }
                        bySequence.removeAll()
                        break
                    }
                    guard let messages else {
                        // No final ACK: an answer was dropped (overflow) or lost; what is not known is reported so.
                        for i in bySequence.values {
                            results[i] = .failure(overflowed ? .acknowledgementLost(command: operations[i].command) : .timeout(command: operations[i].command))
                        }
                        bySequence.removeAll()
                        sock.drain()
                        break
                    }
                    for m in messages where m.type == NL.error {
                        guard let i = bySequence.removeValue(forKey: m.sequence) else { continue }
                        results[i] = outcome(i, IPVSClient.ackResult(m, command: operations[i].command))
                        if m.sequence == lastSequence { finished = true }
                    }
                }
                if finished {
                    if overflowed {
                        // Errors may have been dropped: the requests without an answer are not known to have worked.
                        for i in bySequence.values { results[i] = .failure(.acknowledgementLost(command: operations[i].command)) }
                    } else {
                        for i in bySequence.values { results[i] = outcome(i, .success(())) }
                    }
                    bySequence.removeAll()
                }
            }
        }
        return results.map { $0 ?? .failure(.timeout(command: .flush)) }
    }

    static func ackResult(_ m: NetlinkMessage, command: IPVSCommand) -> Result<Void, IPVSError> {
        guard m.payload.count >= 4 else { return .failure(.malformedReply("\(command): short error message")) }
        let code = Int32(bitPattern: NetlinkMessage.readU32(m.payload, m.payload.startIndex))
        return code == 0 ? .success(()) : .failure(.kernel(command: command, errno: -code))
    }

    // MARK: - Reads

    /// Every service, in kernel order (one dump).
    ///
    /// Kernels before the per-namespace tables (Linux 6.x) resume a multipart service dump by a position counted
    /// over *all* namespaces' services, so a change in another namespace during the dump can repeat or skip an
    /// entry. Repeats are dropped here.
    public func services() throws(IPVSError) -> [Service] {
        var seen = Set<ServiceKey>()
        return try dump(.getService) { _ in }
            .map { (a) throws(IPVSError) -> Service in try IPVSDecoder.service(from: a) }
            .filter { seen.insert($0.key).inserted }
    }

    /// One service, or `nil` if it does not exist.
    public func service(_ key: ServiceKey) throws(IPVSError) -> Service? {
        do {
            let replies = try request(.getService) { w in w.service(Service(key: key), full: false) }
            guard let first = replies.first else { return nil }
            return try IPVSDecoder.service(from: first)
        } catch .kernel(_, let e) where e == ESRCH || e == ENOENT {
            return nil
        }
    }

    /// The destinations of a service (an unknown service has none).
    public func destinations(of key: ServiceKey) throws(IPVSError) -> [Destination] {
        try dump(.getDestination) { w in w.service(Service(key: key), full: false) }
            .map { (a) throws(IPVSError) -> Destination in try IPVSDecoder.destination(from: a, serviceFamily: key.family) }
    }

    /// Every service with its destinations: one service dump, then one destination dump per service, all on this
    /// client's socket.
    public func table() throws(IPVSError) -> [ServiceEntry] {
        try services().map { (s) throws(IPVSError) -> ServiceEntry in ServiceEntry(service: s, destinations: try destinations(of: s.key)) }
    }

    /// The connection timeouts.
    public func timeouts() throws(IPVSError) -> Timeouts {
        let replies = try request(.getConfig) { _ in }
        guard let first = replies.first else { throw .malformedReply("get-config: no reply") }
        return try IPVSDecoder.timeouts(from: first)
    }

    /// The IPVS version and connection table size.
    public func info() throws(IPVSError) -> Info {
        let replies = try request(.getInfo) { _ in }
        guard let first = replies.first else { throw .malformedReply("get-info: no reply") }
        return try IPVSDecoder.info(from: first)
    }

    /// The running sync daemons (none, master, backup or both).
    public func daemons() throws(IPVSError) -> [SyncDaemon] {
        try dump(.getDaemon) { _ in }.map { (a) throws(IPVSError) -> SyncDaemon in try IPVSDecoder.daemon(from: a) }
    }

    /// Sends a request that the kernel answers with reply messages and then an ACK.
    private func request(_ command: IPVSCommand, _ body: (inout NetlinkWriter) -> Void) throws(IPVSError) -> [NetlinkAttributes] {
        let timeoutMs = self.timeoutMs
        return try socket.withLock { (sock) throws(IPVSError) -> [NetlinkAttributes] in
            let seq = sock.nextSequence()
            var w = NetlinkWriter()
            let m = w.beginMessage(type: sock.familyID, flags: NL.request | NL.ack, sequence: seq, port: sock.port, command: command.rawValue)
            body(&w)
            w.endMessage(m)
            try sock.send(w.bytes, command: command)
            var replies: [NetlinkAttributes] = []
            while true {
                guard let messages = try sock.receive(timeoutMs: timeoutMs, command: command) else {
                    sock.drain()
                    throw .timeout(command: command)
                }
                for msg in messages where msg.sequence == seq {
                    if msg.type == NL.error {
                        try IPVSClient.ackResult(msg, command: command).get()
                        return replies
                    }
                    if msg.type == sock.familyID {
                        replies.append(try IPVSClient.attributes(of: msg, command: command))
                    }
                }
            }
        }
    }

    /// Runs a dump to completion; restarts it if the kernel reports ENOBUFS (dropped messages).
    private func dump(_ command: IPVSCommand, _ body: (inout NetlinkWriter) -> Void) throws(IPVSError) -> [NetlinkAttributes] {
        let timeoutMs = self.timeoutMs
        return try socket.withLock { (sock) throws(IPVSError) -> [NetlinkAttributes] in
            var attempts = 0
            while true {
                attempts += 1
                let seq = sock.nextSequence()
                var w = NetlinkWriter()
                let m = w.beginMessage(type: sock.familyID, flags: NL.request | NL.dump, sequence: seq, port: sock.port, command: command.rawValue)
                body(&w)
                w.endMessage(m)
                try sock.send(w.bytes, command: command)
                var items: [NetlinkAttributes] = []
                do throws(IPVSError) {
                    dumpLoop: while true {
                        guard let messages = try sock.receive(timeoutMs: timeoutMs, command: command) else {
                            sock.drain()
                            throw .timeout(command: command)
                        }
                        for msg in messages where msg.sequence == seq {
                            switch msg.type {
                            case NL.done:
                                if msg.payload.count >= 4 {
                                    let code = Int32(bitPattern: NetlinkMessage.readU32(msg.payload, msg.payload.startIndex))
                                    if code < 0 { throw .kernel(command: command, errno: -code) }
                                }
                                break dumpLoop
                            case NL.error:
                                try IPVSClient.ackResult(msg, command: command).get()
                            case sock.familyID:
                                items.append(try IPVSClient.attributes(of: msg, command: command))
                            default:
                                continue
                            }
                        }
                    }
                    return items
                } catch .system(let what, let e) where e == ENOBUFS && attempts < 4 {
                    _ = what
                    sock.drain()
                    continue
                }
            }
        }
    }

    static func attributes(of msg: NetlinkMessage, command: IPVSCommand) throws(IPVSError) -> NetlinkAttributes {
        guard msg.payload.count >= 4 else { throw .malformedReply("\(command): reply shorter than a genetlink header") }
        return try NetlinkAttributes(msg.payload.dropFirst(4), context: "\(command) reply")
    }
}

extension IPVSClient {
    /// Test seam: sends `op` without `NLM_F_ACK`, so the kernel sends nothing back, and waits for a reply as any
    /// request does. Proves that a lost reply ends in ``IPVSError/timeout(command:)`` and leaves the client usable.
    func sendUnacknowledgedAndWait(_ op: IPVSOperation) throws(IPVSError) {
        let timeoutMs = self.timeoutMs
        try socket.withLock { (sock) throws(IPVSError) -> Void in
            var w = NetlinkWriter()
            op.encode(into: &w, family: sock.familyID, sequence: sock.nextSequence(), port: sock.port)
            var bytes = w.bytes
            bytes[6] &= ~UInt8(NL.ack)  // clear NLM_F_ACK in nlmsg_flags
            try sock.send(bytes, command: op.command)
            if try sock.receive(timeoutMs: timeoutMs, command: op.command) == nil {
                sock.drain()
                throw .timeout(command: op.command)
            }
        }
    }
}
