import Testing
@testable import VRRP

/// Several instances on one simulated LAN and a fake clock. Every advert goes through the real path: encode,
/// IPv4 header, ``ReceiveValidator`` with the receiver's expectations, then the receiver's state machine, and
/// arrives `latency` µs after it was sent (so adverts of two nodes that time out together cross on the wire).
struct LAN {
    static let latency: UInt64 = 100
    var nodes: [VRRPInstance]
    var clock = FakeClock()
    var timers: [[TimerKind: UInt64]]
    /// Datagrams on the wire: (arrival, from, to, bytes).
    var inFlight: [(at: UInt64, from: Int, to: Int, bytes: [UInt8])] = []
    /// Nodes cut off from the LAN (they neither send nor receive).
    var cut: Set<Int> = []
    /// Every (time, node, action), for assertions.
    var history: [(time: UInt64, node: Int, action: InstanceAction)] = []
    var drops: [DropReason] = []

    init(_ settings: [InstanceSettings]) {
        nodes = settings.map { VRRPInstance(settings: $0) }
        timers = Array(repeating: [:], count: settings.count)
    }

    mutating func start(_ i: Int, faulted: Bool = false) { send(.start(faulted: faulted), to: i) }

    mutating func send(_ event: InstanceEvent, to node: Int) {
        for action in nodes[node].handle(event, at: clock.now) {
            history.append((clock.offset, node, action))
            switch action {
            case .armTimer(let k, let at): timers[node][k] = UInt64(clock.micros(at))
            case .cancelTimer(let k): timers[node][k] = nil
            case .sendAdvert(let advert):
                guard !cut.contains(node) else { continue }
                let source = nodes[node].settings.primaryAddress
                guard let message = try? advert.encode(source: source, destination: .multicastGroupV4) else { continue }
                let datagram = IPv4Header(source: source, destination: .multicastGroupV4, payloadLength: message.count,
                                          identification: 1).encode() + message
                for other in nodes.indices where other != node {
                    inFlight.append((clock.offset + Self.latency, node, other, datagram))
                }
            default: break
            }
        }
    }

    mutating func deliver(_ bytes: [UInt8], from: Int, to node: Int) {
        guard !cut.contains(node) else { return }
        let source = nodes[from].settings.primaryAddress
        switch ReceiveValidator.validate(.ipv4(bytes), expecting: nodes[node].settings.receiveExpectations,
                                         checkAddresses: nodes[node].shouldCheckAddresses(from: source)) {
        case .success(let received): send(.advert(received), to: node)
        case .failure(let reason): drops.append(reason)
        }
    }

    /// Runs timers and deliveries in time order until `end` (inclusive); deliveries first at equal times.
    mutating func run(until end: UInt64) {
        while true {
            let packet = inFlight.indices.filter { inFlight[$0].at <= end }.min { inFlight[$0].at < inFlight[$1].at }
            var timer: (at: UInt64, node: Int, kind: TimerKind)?
            for (i, t) in timers.enumerated() {
                for (k, at) in t where at <= end {
                    if let best = timer, best.at <= at { continue }
                    timer = (at, i, k)
                }
            }
            if let p = packet, timer.map({ inFlight[p].at <= $0.at }) ?? true {
                let d = inFlight.remove(at: p)
                clock.advance(to: max(d.at, clock.offset))
                deliver(d.bytes, from: d.from, to: d.to)
            } else if let t = timer {
                clock.advance(to: max(t.at, clock.offset))
                timers[t.node][t.kind] = nil
                send(.timerFired(t.kind), to: t.node)
            } else {
                break
            }
        }
        clock.advance(to: max(end, clock.offset))
    }

    var states: [VRRPState] { nodes.map(\.state) }

    /// When node `i` last entered `state`.
    func entered(_ i: Int, _ state: VRRPState) -> UInt64? {
        history.last { $0.node == i && $0.action.isTransition(to: state) }?.time
    }
}

extension InstanceAction {
    func isTransition(to state: VRRPState) -> Bool {
        if case .transition(_, let to) = self { return to == state }
        return false
    }
}

@Suite struct ElectionTests {
    static let vip = VRRPAddress.v4(0x0a00_0064)

    static func node(_ last: UInt32, priority: UInt8, version: VRRPVersion = .v2, interval: UInt64 = 1_000_000,
                     configure: (inout InstanceSettings) -> Void = { _ in }) -> InstanceSettings {
        var s = InstanceSettings(name: "VI_1", vrid: 51, version: version, priority: priority, advertInterval: interval,
                                 virtualAddresses: [vip], primaryAddress: .v4(0x0a00_0000 | last))
        s.authType = version == .v2 ? .simplePassword : .none
        s.authData = Advertisement.password("secret")
        configure(&s)
        return s
    }

    @Test func higherPriorityWinsAndLowerStaysBackup() {
        var lan = LAN([Self.node(1, priority: 150), Self.node(2, priority: 100)])
        lan.start(0)
        lan.start(1)
        lan.run(until: 20_000_000)
        #expect(lan.states == [.master, .backup])
        #expect(lan.entered(0, .master) == 3_414_062)
        #expect(lan.drops.isEmpty)
        #expect(lan.nodes[1].masterAddress == .v4(0x0a00_0001))
    }

    @Test func equalPrioritiesElectTheHigherAddress() {
        var lan = LAN([Self.node(1, priority: 100), Self.node(2, priority: 100)])
        lan.start(0)
        lan.start(1)
        lan.run(until: 20_000_000)
        // Both time out together and their adverts cross: 10.0.0.1 yields to 10.0.0.2, which forces a new election.
        #expect(lan.entered(0, .master) == 3_609_375 && lan.entered(1, .master) == 3_609_375)
        #expect(lan.states == [.backup, .master])
        #expect(lan.history.contains { $0.node == 1 && $0.action == .log("(VI_1) Received advert from 10.0.0.1 with lower priority 100, ours 100, forcing new election") })
    }

    @Test func equalPriorityLaterStarterDoesNotTakeOver() {
        // A BACKUP has no tie-break: 10.0.0.2 starting late accepts 10.0.0.1 as master.
        var lan = LAN([Self.node(1, priority: 100), Self.node(2, priority: 100)])
        lan.start(0)
        lan.run(until: 5_000_000)
        lan.start(1)
        lan.run(until: 20_000_000)
        #expect(lan.states == [.master, .backup])
    }

    @Test func masterLossHandsOverAfterMasterDown() {
        var lan = LAN([Self.node(1, priority: 150), Self.node(2, priority: 100)])
        lan.start(0)
        lan.start(1)
        lan.run(until: 10_000_000)
        #expect(lan.states == [.master, .backup])
        // The last advert from node 0 before the cut at 10 s left at 9 414 062 µs.
        lan.cut = [0]
        lan.run(until: 20_000_000)
        #expect(lan.states[1] == .master)
        #expect(lan.entered(1, .master) == 9_414_062 + LAN.latency + 3_609_375)
    }

    @Test func shutdownHandsOverAfterSkewTime() {
        var lan = LAN([Self.node(1, priority: 150), Self.node(2, priority: 100)])
        lan.start(0)
        lan.start(1)
        lan.run(until: 10_000_000)
        lan.send(.shutdown, to: 0)
        lan.run(until: 20_000_000)
        #expect(lan.states == [.initialize, .master])
        #expect(lan.entered(1, .master) == 10_000_000 + LAN.latency + 609_375)
    }

    @Test func recoveredHigherPriorityPreemptsAndNopreemptDoesNot() {
        for noPreempt in [false, true] {
            var lan = LAN([Self.node(1, priority: 150) { $0.noPreempt = noPreempt }, Self.node(2, priority: 100)])
            lan.start(1)
            lan.run(until: 10_000_000)
            #expect(lan.states[1] == .master)
            lan.start(0)
            lan.run(until: 30_000_000)
            #expect(lan.states == (noPreempt ? [.backup, .master] : [.master, .backup]), "nopreempt \(noPreempt)")
        }
    }

    @Test func faultOnMasterHandsOverAtOnce() {
        var lan = LAN([Self.node(1, priority: 150), Self.node(2, priority: 100)])
        lan.start(0)
        lan.start(1)
        lan.run(until: 10_000_000)
        lan.send(.fault(true), to: 0)
        lan.run(until: 12_000_000)
        #expect(lan.states == [.fault, .master])
        #expect(lan.entered(1, .master) == 10_000_000 + LAN.latency + 609_375)
        lan.send(.fault(false), to: 0)
        lan.run(until: 30_000_000)
        #expect(lan.states == [.master, .backup])
    }

    @Test func intervalMismatchGivesDualMasterOnV2() {
        var lan = LAN([Self.node(1, priority: 150), Self.node(2, priority: 100, interval: 2_000_000)])
        lan.start(0)
        lan.start(1)
        lan.run(until: 20_000_000)
        #expect(lan.states == [.master, .master])
        #expect(lan.drops.contains(.intervalMismatch(mineSeconds: 2, receivedSeconds: 1)))
    }

    @Test func v3BackupFollowsTheMastersFasterInterval() {
        var lan = LAN([Self.node(1, priority: 150, version: .v3, interval: 100_000),
                       Self.node(2, priority: 100, version: .v3, interval: 1_000_000)])
        lan.start(0)
        lan.start(1)
        lan.run(until: 5_000_000)
        #expect(lan.states == [.master, .backup])
        #expect(lan.nodes[1].masterAdvertInterval == 100_000)
        lan.cut = [0]
        let cutAt: UInt64 = 5_000_000
        lan.run(until: 8_000_000)
        #expect(lan.states[1] == .master)
        // Taken over within 3 × 0.1 s + skew (60.9 ms) of the last advert, not 3.6 s.
        #expect((lan.entered(1, .master) ?? 0) <= cutAt + 360_937)
    }
}
