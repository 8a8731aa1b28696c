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
