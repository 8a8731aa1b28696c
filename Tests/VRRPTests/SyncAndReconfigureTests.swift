import Testing
@testable import VRRP

/// Sync-group moves (``InstanceEvent/follow(_:)``) and reload reconfiguration, on a fake clock.
@Suite struct SyncAndReconfigureTests {
    let me = VRRPAddress.v4(0x0a00_0001)
    let vip = VRRPAddress.v4(0x0a00_0064)
    let vip2 = VRRPAddress.v4(0x0a00_0065)

    func settings(priority: UInt8 = 100, vips: [VRRPAddress]? = nil) -> InstanceSettings {
        InstanceSettings(name: "VI_1", vrid: 51, priority: priority, virtualAddresses: vips ?? [vip], primaryAddress: me)
    }

    @Test func followMasterTakesABackupToMasterAtOnce() {
        let clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        let actions = vi.handle(.follow(.master), at: clock.now)
        #expect(vi.state == .master)
        #expect(actions.advertPriorities == [100])
        #expect(actions.contains(.addAddresses))
        #expect(actions.transitions.map(\.1) == [.master])
        #expect(actions.logLines == ["(VI_1) Entering MASTER STATE"])
    }

    @Test func followBackupStepsAMasterDownWithoutPriorityZero() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        if let due = vi.timers[.masterDown] { clock.advance(to: UInt64(clock.micros(due))) }
        _ = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .master)
        let actions = vi.handle(.follow(.backup), at: clock.now)
        #expect(vi.state == .backup)
        #expect(actions.advertPriorities.isEmpty)
        #expect(actions.contains(.removeAddresses))
        #expect(actions.armed(.masterDown) != nil)
        // Following a state the instance cannot take from where it is does nothing.
        #expect(vi.handle(.follow(.backup), at: clock.now).isEmpty)
        #expect(vi.handle(.follow(.fault), at: clock.now).isEmpty)
    }

    /// keepalived's `vrrp_sync_can_goto_master`: a member whose master-down timer runs out asks the group and stays
    /// BACKUP meanwhile, waiting another master-down interval; hearing a master again, it stops wanting MASTER.
    @Test func aSyncGroupMemberWhoseTimerRunsOutWantsMasterAndWaits() {
        var clock = FakeClock()
        var s = settings()
        s.syncGroupMember = true
        var vi = VRRPInstance(settings: s)
        _ = vi.handle(.start(faulted: false), at: clock.now)
        let due = vi.timers[.masterDown]
        #expect(due != nil)
        if let due { clock.advance(to: UInt64(clock.micros(due))) }
        let fired = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .backup)
        #expect(vi.wantsMaster)
        #expect(fired.contains(.wantsMaster))
        #expect(fired.transitions.isEmpty && fired.advertPriorities.isEmpty && !fired.contains(.addAddresses))
        #expect(fired.armed(.masterDown).map { clock.now.duration(to: $0) } == .microseconds(Int64(vi.masterDownInterval)))
        // A master heard: BACKUP wanted again.
        let heard = ReceivedAdvert(advertisement: Advertisement(version: .v2, vrid: 51, priority: 150, maxAdvertInterval: 1,
                                                                addresses: [vip]),
                                   source: .v4(0x0a00_0002), ttl: 255, checksumForm: .message)
        _ = vi.handle(.advert(heard), at: clock.now)
        #expect(!vi.wantsMaster && vi.state == .backup)
        // The group lets it go: MASTER, and no longer wanting.
        if let due = vi.timers[.masterDown] { clock.advance(to: UInt64(clock.micros(due))) }
        _ = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.wantsMaster)
        let moved = vi.handle(.follow(.master), at: clock.now)
        #expect(vi.state == .master && !vi.wantsMaster)
        #expect(moved.transitions.map(\.1) == [.master])
    }

    @Test func outsideASyncGroupTheTimerTakesTheInstanceToMaster() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        if let due = vi.timers[.masterDown] { clock.advance(to: UInt64(clock.micros(due))) }
        let fired = vi.handle(.timerFired(.masterDown), at: clock.now)
        #expect(vi.state == .master && !vi.wantsMaster && !fired.contains(.wantsMaster))
    }

    @Test func reconfigureKeepsTheStateAndAdvertisesTheNewVIPs() {
        var clock = FakeClock()
        var vi = VRRPInstance(settings: settings())
        _ = vi.handle(.start(faulted: false), at: clock.now)
        if let due = vi.timers[.masterDown] { clock.advance(to: UInt64(clock.micros(due))) }
        _ = vi.handle(.timerFired(.masterDown), at: clock.now)
        let new = settings(priority: 120, vips: [vip, vip2])
        #expect(vi.canReconfigure(to: new))
        #expect(vi.reconfigure(new).isEmpty)
        #expect(vi.state == .master)
        #expect(vi.advertisement(priority: vi.effectivePriority).addresses == [vip, vip2])
        // The base priority moves through tracking's event, as keepalived recomputes it.
        let moved = vi.handle(.priorityChanged(total: 120), at: clock.now)
        #expect(vi.effectivePriority == 120 && moved.logLines == ["(VI_1) Changing effective priority from 100 to 120"])
        #expect(moved.contains(.effectivePriorityChanged(120)))
        #expect(!vi.handle(.priorityChanged(total: 120), at: clock.now).contains(.effectivePriorityChanged(120)), "no change, no event")
    }

    @Test func identityChangesNeedARestart() {
        let vi = VRRPInstance(settings: settings())
        var other = settings()
        other.vrid = 52
        #expect(!vi.canReconfigure(to: other))
        #expect(!vi.canReconfigure(to: settings(priority: 255)), "becoming the address owner restarts")
        var unicast = settings()
        unicast.unicastPeers = [UnicastPeer(.v4(0x0a00_0002))]
        #expect(!vi.canReconfigure(to: unicast))
    }
}
