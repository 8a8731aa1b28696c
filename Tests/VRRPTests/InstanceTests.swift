import Testing
@testable import VRRP

/// The state machine, one instance at a time, on a fake clock (times in microseconds from the clock's origin).
@Suite struct InstanceTests {
    let me = VRRPAddress.v4(0x0a00_0001)        // 10.0.0.1
    let peer = VRRPAddress.v4(0x0a00_0002)      // 10.0.0.2
    let lowPeer = VRRPAddress.v4(0x0a00_0000)   // 10.0.0.0
    let vip = VRRPAddress.v4(0x0a00_0064)

    func settings(priority: UInt8 = 100, version: VRRPVersion = .v2, interval: UInt64 = 1_000_000,
                  initial: InitialState = .backup) -> InstanceSettings {
        InstanceSettings(name: "VI_1", vrid: 51, version: version, priority: priority, advertInterval: interval,
                         initialState: initial, virtualAddresses: [vip], primaryAddress: me)
    }

    func advert(_ priority: UInt8, from source: VRRPAddress? = nil, version: VRRPVersion = .v2,
                interval: UInt16 = 1) -> InstanceEvent {
        .advert(ReceivedAdvert(advertisement: Advertisement(version: version, vrid: 51, priority: priority,
                                                            maxAdvertInterval: interval, addresses: [vip]),
                               source: source ?? peer, ttl: 255, checksumForm: .message))
    }

    /// An instance started at 0 that has become MASTER at `masterAt`.
    func master(_ s: InstanceSettings, clock: inout FakeClock) -> VRRPInstance {
        var vi = VRRPInstance(settings: s)
        _ = vi.handle(.start(faulted: false), at: clock.now)
        if let due = vi.timers[.masterDown] {
            clock.advance(to: UInt64(clock.micros(due)))
            _ = vi.handle(.timerFired(.masterDown), at: clock.now)
        }
        return vi
    }

    @Test func startAsBackupBecomesMasterAfterMasterDown() throws {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        let start = vi.handle(.start(faulted: false), at: clock.now)
        #expect(start.first == .removeAddresses)
        #expect(start.logLines == ["(VI_1) Entering BACKUP STATE (init)"])
        #expect(start.transitions.map { "\($0.0)>\($0.1)" } == ["INIT>BACKUP"])
        #expect(start.armed(.masterDown) == clock.at(3_609_375))
        #expect(vi.state == .backup)

        clock.advance(to: 3_609_374)
        #expect(vi.handle(.timerFired(.masterDown), at: clock.now).isEmpty)  // early: stale
        clock.advance(to: 3_609_375)
        let up = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .master)
        #expect(up.advertPriorities == [100])
        #expect(up.logLines == ["(VI_1) Entering MASTER STATE"])
        // Advert first (the old master drops its VIPs), then VIPs, then the GARP burst, then notifies.
        let sendAt = try #require(up.firstIndex { if case .sendAdvert = $0 { true } else { false } })
        let addAt = try #require(up.firstIndex(of: .addAddresses))
        let garpAt = try #require(up.firstIndex(of: .sendGratuitousBurst(count: 5)))
        let transitionAt = try #require(up.firstIndex(of: .transition(from: .backup, to: .master)))
        #expect(sendAt < addAt && addAt < garpAt && garpAt < transitionAt)
        #expect(up.armed(.advert) == clock.at(4_609_375))
        #expect(up.armed(.garpMasterDelay) == clock.at(8_609_375))

        clock.advance(to: 4_609_375)
        let tick = vi.handle(.timerFired(.advert), at: clock.now)
        #expect(tick.advertPriorities == [100])
        #expect(tick.armed(.advert) == clock.at(5_609_375))
        clock.advance(to: 8_609_375)
        #expect(vi.handle(.timerFired(.garpMasterDelay), at: clock.now) == [.sendGratuitousBurst(count: 5)])
    }

    @Test func backupHearingItsMasterStaysBackup() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        for t: UInt64 in [1_000_000, 2_000_000, 3_000_000, 4_000_000] {
            clock.advance(to: t)
            let a = vi.handle(advert(150), at: clock.now)
            #expect(a.armed(.masterDown) == clock.at(t + 3_609_375))
        }
        clock.advance(to: 3_609_375)
        #expect(vi.handle(.timerFired(.masterDown), at: clock.now).isEmpty)
        #expect(vi.state == .backup)
        #expect(vi.masterAddress == peer)
        #expect(vi.masterPriority == 150)
    }

    @Test func higherPriorityBackupPreempts() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings(priority: 150))
        let start = vi.handle(.start(faulted: false), at: clock.now)
        #expect(start.armed(.masterDown) == clock.at(3_414_062))  // 3 s + 106/256 s
        for t: UInt64 in [1_000_000, 2_000_000, 3_000_000] {
            clock.advance(to: t)
            let a = vi.handle(advert(100), at: clock.now)
            #expect(a.logLines == ["(VI_1) received lower priority (100) advert from 10.0.0.2 - discarding"])
            #expect(a.armed(.masterDown) == nil)
        }
        clock.advance(to: 3_414_062)
        _ = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .master)
    }

    @Test func nopreemptBackupDoesNotPreempt() {
        var clock = FakeClock()
        var s = settings(priority: 150)
        s.noPreempt = true
        var vi = VRRPInstance(settings: s)
        _ = vi.handle(.start(faulted: false), at: clock.now)
        for t: UInt64 in [1_000_000, 2_000_000, 3_000_000] {
            clock.advance(to: t)
            let a = vi.handle(advert(100), at: clock.now)
            #expect(a.logLines.isEmpty)
            #expect(a.armed(.masterDown) == clock.at(t + 3_414_062))
        }
        clock.advance(to: 3_414_062)
        #expect(vi.handle(.timerFired(.masterDown), at: clock.now).isEmpty)
        #expect(vi.state == .backup)
        #expect(vi.masterPriority == 100)
    }

    @Test func preemptDelayHoldsOffPreemption() {
        var clock = FakeClock()
        var s = settings(priority: 150)
        s.preemptDelay = 5_000_000
        var vi = VRRPInstance(settings: s)
        _ = vi.handle(.start(faulted: false), at: clock.now)
        // The first lower-priority advert (t = 1 s) starts the delay; until 6 s its sender is still master.
        for t: UInt64 in [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000] {
            clock.advance(to: t)
            let a = vi.handle(advert(100), at: clock.now)
            #expect(a.armed(.masterDown) == clock.at(t + 3_414_062), "advert at \(t) µs accepted")
        }
        #expect(vi.preemptDeadline == clock.at(6_000_000))
        for t: UInt64 in [6_000_000, 7_000_000, 8_000_000] {
            clock.advance(to: t)
            let a = vi.handle(advert(100), at: clock.now)
            #expect(a.logLines.first?.hasSuffix("discarding") == true, "advert at \(t) µs discarded")
        }
        clock.advance(to: 8_414_062)
        _ = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .master)
    }

    @Test func preemptDelayStopsWhenAHigherPriorityIsHeard() {
        var clock = FakeClock()
        var s = settings(priority: 150)
        s.preemptDelay = 5_000_000
        var vi = VRRPInstance(settings: s)
        _ = vi.handle(.start(faulted: false), at: clock.now)
        clock.advance(to: 1_000_000)
        _ = vi.handle(advert(100), at: clock.now)
        #expect(vi.preemptDeadline != nil)
        clock.advance(to: 2_000_000)
        _ = vi.handle(advert(200), at: clock.now)
        #expect(vi.preemptDeadline == nil)
    }

    @Test func masterHearingHigherPriorityGoesBackupWithoutPriorityZero() {
        var clock = FakeClock()
        var vi = master(settings(), clock: &clock)
        clock.advance(to: 4_000_000)
        let a = vi.handle(advert(150), at: clock.now)
        #expect(vi.state == .backup)
        #expect(a.advertPriorities.isEmpty)
        #expect(a.logLines == ["(VI_1) Master received advert from 10.0.0.2 with higher priority 150, ours 100",
                               "(VI_1) Entering BACKUP STATE"])
        #expect(a.contains(.removeAddresses))
        #expect(a.contains(.cancelTimer(.advert)))
        #expect(a.transitions.map { "\($0.0)>\($0.1)" } == ["MASTER>BACKUP"])
        #expect(a.armed(.masterDown) == clock.at(4_000_000 + 3_609_375))
    }

    @Test func masterWithHigherPrioSendAdvertAnswersFirst() {
        var clock = FakeClock()
        var s = settings()
        s.higherPrioritySendAdvert = true
        var vi = master(s, clock: &clock)
        let a = vi.handle(advert(150), at: clock.now)
        #expect(a.advertPriorities == [100])
        #expect(vi.state == .backup)
    }

    @Test func equalPriorityTieBreakByAddress() {
        var clock = FakeClock()
        // We are 10.0.0.1; 10.0.0.2 is higher: we yield.
        var vi = master(settings(), clock: &clock)
        let yielded = vi.handle(advert(100, from: peer), at: clock.now)
        #expect(vi.state == .backup)
        #expect(yielded.logLines.first == "(VI_1) Master received advert from 10.0.0.2 with same priority 100 but higher IP address than ours")
        // 10.0.0.0 is lower: we stay and force a new election.
        var clock2 = FakeClock()
        var vi2 = master(settings(), clock: &clock2)
        let kept = vi2.handle(advert(100, from: lowPeer), at: clock2.now)
        #expect(vi2.state == .master)
        #expect(kept.advertPriorities == [100])
        #expect(kept.logLines == ["(VI_1) Received advert from 10.0.0.0 with lower priority 100, ours 100, forcing new election"])
        // Our own address: a warning, nothing else.
        let own = vi2.handle(advert(100, from: me), at: clock2.now)
        #expect(own.logLines == ["(VI_1) WARNING - equal priority advert received from remote host with our IP address."])
        #expect(own.advertPriorities.isEmpty)
        #expect(vi2.state == .master)
    }

    @Test func backupHasNoTieBreak() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        clock.advance(to: 1_000_000)
        // Equal priority from a lower address is still accepted by a BACKUP.
        let a = vi.handle(advert(100, from: lowPeer), at: clock.now)
        #expect(a.armed(.masterDown) == clock.at(1_000_000 + 3_609_375))
    }

    @Test func masterHearingLowerPriority() {
        var clock = FakeClock()
        var vi = master(settings(), clock: &clock)
        let before = clock.micros(vi.timers[.advert] ?? clock.now)
        clock.advance(to: UInt64(before) - 500_000)
        let a = vi.handle(advert(50), at: clock.now)
        #expect(vi.state == .master)
        #expect(a.advertPriorities == [100])
        #expect(a.contains(.sendGratuitousBurst(count: 5)))
        #expect(a.contains(.masterReceivedLowerPriority(from: peer, priority: 50)))
        #expect(a.armed(.garpLowerPriorityDelay) == clock.at(clock.offset + 5_000_000))
        #expect(a.armed(.advert) == clock.at(clock.offset + 1_000_000))  // re-armed after the packet

        var s = settings()
        s.lowerPriorityNoAdvert = true
        var clock2 = FakeClock()
        var quiet = master(s, clock: &clock2)
        let b = quiet.handle(advert(50), at: clock2.now)
        #expect(b.advertPriorities.isEmpty)
        #expect(b.logLines == ["(VI_1) Received advert from 10.0.0.2 with lower priority 50, ours 100"])
        #expect(b.armed(.advert) == nil)
    }

    @Test func priorityZeroMakesBackupTakeOverAfterSkew() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        clock.advance(to: 1_000_000)
        _ = vi.handle(advert(150), at: clock.now)
        clock.advance(to: 1_500_000)
        let a = vi.handle(advert(0), at: clock.now)
        #expect(a.armed(.masterDown) == clock.at(1_500_000 + 609_375))
        clock.advance(to: 2_109_375)
        _ = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .master)
    }

    @Test func masterAnswersPriorityZero() {
        var clock = FakeClock()
        var vi = master(settings(), clock: &clock)
        let a = vi.handle(advert(0), at: clock.now)
        #expect(a.advertPriorities == [100])
        #expect(vi.state == .master)
    }

    @Test func faultAndRecovery() {
        var clock = FakeClock()
        var vi = master(settings(), clock: &clock)
        clock.advance(to: 5_000_000)
        let down = vi.handle(.fault(true), at: clock.now)
        #expect(vi.state == .fault)
        #expect(down.advertPriorities == [0, 0])  // keepalived sends two (see Fixtures/keepalived-2.2.7-fault.txt)
        #expect(down.logLines == ["(VI_1) Entering FAULT STATE"])
        #expect(down.contains(.removeAddresses))
        #expect(down.transitions.map { "\($0.0)>\($0.1)" } == ["MASTER>FAULT"])
        #expect(vi.timers.isEmpty)
        #expect(vi.handle(advert(150), at: clock.now).isEmpty)            // ignored in FAULT
        #expect(vi.handle(.fault(true), at: clock.now).isEmpty)           // no change

        clock.advance(to: 6_000_000)
        let up = vi.handle(.fault(false), at: clock.now)
        #expect(vi.state == .backup)
        #expect(up.logLines == ["(VI_1) Entering BACKUP STATE"])
        #expect(up.transitions.map { "\($0.0)>\($0.1)" } == ["FAULT>BACKUP"])
        #expect(up.armed(.masterDown) == clock.at(6_000_000 + 3_609_375))

        let again = vi.handle(.fault(true), at: clock.now)
        #expect(again.advertPriorities.isEmpty)  // a BACKUP has nothing to resign
        #expect(again.contains(.cancelTimer(.masterDown)))
        #expect(vi.state == .fault)
    }

    @Test func startInFault() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        let a = vi.handle(.start(faulted: true), at: clock.now)
        #expect(vi.state == .fault)
        #expect(a.logLines == ["(VI_1) Entering FAULT STATE (init)"])
        #expect(a.armed(.masterDown) == nil)
        clock.advance(to: 1)
        _ = vi.handle(.fault(false), at: clock.now)
        #expect(vi.state == .backup)
    }

    @Test func shutdownSendsPriorityZeroOnlyFromMaster() {
        var clock = FakeClock()
        var vi = master(settings(), clock: &clock)
        let stop = vi.handle(.shutdown, at: clock.now)
        #expect(stop.advertPriorities == [0])
        #expect(stop.contains(.removeAddresses))
        #expect(stop.last == .stopped)
        #expect(vi.timers.isEmpty)
        #expect(vi.state == .initialize)

        var backup = VRRPInstance(settings: settings())
        _ = backup.handle(.start(faulted: false), at: clock.now)
        let quiet = backup.handle(.shutdown, at: clock.now)
        #expect(quiet.advertPriorities.isEmpty)
        #expect(quiet == [.cancelTimer(.masterDown), .stopped])
    }

    @Test func addressOwnerStartsAsMasterAtOnce() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings(priority: 255, initial: .master))
        let start = vi.handle(.start(faulted: false), at: clock.now)
        #expect(start.logLines.isEmpty)
        #expect(start.armed(.masterDown) == clock.at(1))
        clock.advance(to: 1)
        let up = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .master)
        #expect(up.advertPriorities == [255])
        #expect(up.transitions.map { "\($0.0)>\($0.1)" } == ["INIT>MASTER"])
        // Tracking never moves the owner's priority.
        #expect(vi.handle(.priorityChanged(total: 100), at: clock.now).isEmpty)
        #expect(vi.effectivePriority == 255)
    }

    @Test func nonOwnerStateMasterInASyncGroupWaitsOneIntervalPlusMinimumSkew() {
        var s = settings(initial: .master)
        s.syncGroupMember = true
        var vi = VRRPInstance(settings: s)
        let clock = FakeClock()
        let start = vi.handle(.start(faulted: false), at: clock.now)
        #expect(start.logLines == ["(VI_1) Entering BACKUP STATE (init)"])
        #expect(start.armed(.masterDown) == clock.at(1_003_906))
    }

    /// keepalived 2.2.7 (`vrrp_init_state`): outside a sync group, `state MASTER` below 255 waits the full
    /// Master_Down_Interval, 3 s + (256 − 100)/256 s, as measured in the VM (bench/vrrp-bench.sh's lab notes).
    @Test func nonOwnerStateMasterAloneWaitsTheFullMasterDownInterval() {
        var vi = VRRPInstance(settings: settings(initial: .master))
        let clock = FakeClock()
        let start = vi.handle(.start(faulted: false), at: clock.now)
        #expect(start.armed(.masterDown) == clock.at(3_609_375))
    }

    @Test func ownerConflictReducesPriority() {
        var clock = FakeClock()
        var vi = master(settings(priority: 255, initial: .master), clock: &clock)
        let a = vi.handle(advert(255, from: lowPeer), at: clock.now)
        #expect(a.logLines.first == "(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority")
        #expect(vi.effectivePriority == 254)
        #expect(vi.state == .backup)
    }

    @Test func v3BackupLearnsTheMastersInterval() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings(version: .v3))
        _ = vi.handle(.start(faulted: false), at: clock.now)
        clock.advance(to: 1_000_000)
        let a = vi.handle(advert(150, version: .v3, interval: 50), at: clock.now)
        #expect(vi.masterAdvertInterval == 500_000)
        // 3 × 0.5 s + (156 × 50 × 625 / 16) µs.
        #expect(a.armed(.masterDown) == clock.at(1_000_000 + 1_500_000 + 304_687))
        // Back to its own interval when it becomes master.
        clock.advance(to: 2_804_687)
        let up = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(up.armed(.advert) == clock.at(2_804_687 + 1_000_000))
        #expect(vi.masterAdvertInterval == 1_000_000)
    }

    @Test func v2BackupDoesNotLearnIntervals() {
        var vi = VRRPInstance(settings: settings())
        let clock = FakeClock()
        _ = vi.handle(.start(faulted: false), at: clock.now)
        _ = vi.handle(advert(150, interval: 2), at: clock.now)
        #expect(vi.masterAdvertInterval == 1_000_000)
    }

    @Test func effectivePriorityIsClampedAndMovesTheBackupTimer() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        clock.advance(to: 1_000_000)
        let a = vi.handle(.priorityChanged(total: 200), at: clock.now)
        #expect(a.logLines == ["(VI_1) Changing effective priority from 100 to 200"])
        // Master_Down falls from 3.609375 s to 3.21875 s; the deadline moves by the difference.
        #expect(a.armed(.masterDown) == clock.at(3_218_750))
        _ = vi.handle(.priorityChanged(total: 300), at: clock.now)
        #expect(vi.effectivePriority == 254)
        _ = vi.handle(.priorityChanged(total: -20), at: clock.now)
        #expect(vi.effectivePriority == 1)
        #expect(vi.handle(.priorityChanged(total: 0), at: clock.now).isEmpty)  // still 1
    }

    @Test func startupDelayPostponesTheBackupTimer() {
        var s = settings()
        s.startupDelay = 10_000_000
        var vi = VRRPInstance(settings: s)
        var clock = FakeClock()
        let start = vi.handle(.start(faulted: false), at: clock.now)
        #expect(start.armed(.masterDown) == clock.at(13_609_375))
        clock.advance(to: 11_000_000)
        let a = vi.handle(advert(150), at: clock.now)
        #expect(a.armed(.masterDown) == clock.at(14_609_375))
    }

    @Test func keepalivedConfigurationRules() {
        var s = settings(initial: .master)
        s.noPreempt = true
        s.preemptDelay = 1_000_000
        let vi = VRRPInstance(settings: s)
        #expect(vi.settings.noPreempt == false)
        #expect(vi.settings.preemptDelay == 0)
        #expect(vi.configurationWarnings.contains("(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"))

        var both = settings()
        both.noPreempt = true
        both.preemptDelay = 1_000_000
        #expect(VRRPInstance(settings: both).settings.preemptDelay == 0)

        var v3 = settings(version: .v3)
        v3.authType = .simplePassword
        let v3i = VRRPInstance(settings: v3)
        #expect(v3i.settings.authType == .none)
        #expect(v3i.advertisement(priority: 1).authType == .none)

        let v6 = InstanceSettings(name: "V6", vrid: 1, version: .v2, virtualAddresses: [], primaryAddress: .v6(Array(repeating: 0xfe, count: 16)))
        #expect(v6.version == .v3)
        #expect(v6.multicastGroup == .multicastGroupV6)
    }

    @Test func skipCheckAdvertAddressesOnlyForTheKnownMaster() {
        var s = settings()
        s.skipCheckAdvertAddresses = true
        var vi = VRRPInstance(settings: s)
        let clock = FakeClock()
        _ = vi.handle(.start(faulted: false), at: clock.now)
        #expect(vi.shouldCheckAddresses(from: peer))
        _ = vi.handle(advert(150), at: clock.now)
        #expect(!vi.shouldCheckAddresses(from: peer))
        #expect(vi.shouldCheckAddresses(from: lowPeer))
    }

    @Test func unicastV3SwitchesToTheOldChecksumWhenAPeerUsesIt() throws {
        var s = settings(version: .v3)
        s.unicastPeers = [UnicastPeer(peer)]
        var vi = VRRPInstance(settings: s)
        #expect(vi.sendChecksumForm == .pseudoHeader)
        let clock = FakeClock()
        _ = vi.handle(.start(faulted: false), at: clock.now)
        // An advert in the old form, through the real receive path.
        let old = try Advertisement(version: .v3, vrid: 51, priority: 150, maxAdvertInterval: 100, addresses: [vip])
            .encode(source: peer, destination: me, form: .pseudoHeaderMulticastGroup)
        let datagram = IPv4Header(source: peer, destination: me, payloadLength: old.count, identification: 1).encode() + old
        let received = try ReceiveValidator.validate(.ipv4(datagram), expecting: vi.settings.receiveExpectations).get()
        #expect(received.checksumForm == .pseudoHeaderMulticastGroup)
        let a = vi.handle(.advert(received), at: clock.now)
        #expect(a.logLines == ["(VI_1) Setting unicast VRRPv3 checksum to old version"])
        #expect(vi.sendChecksumForm == .pseudoHeaderMulticastGroup)
        // With `old_unicast_checksum never` the same packet is a checksum error.
        s.oldUnicastChecksum = .never
        #expect(ReceiveValidator.validate(.ipv4(datagram), expecting: s.receiveExpectations) == .failure(.badChecksum(version: .v3)))
        s.oldUnicastChecksum = .always
        #expect(VRRPInstance(settings: s).sendChecksumForm == .pseudoHeaderMulticastGroup)
    }

    @Test func advertMatchesSettings() throws {
        var s = settings(version: .v3, interval: 250_000)
        s.virtualAddresses = [vip, .v4(0x0a00_0065)]
        let a = VRRPInstance(settings: s).advertisement(priority: 42)
        #expect(a == Advertisement(version: .v3, vrid: 51, priority: 42, maxAdvertInterval: 25, addresses: s.virtualAddresses))
    }
}
