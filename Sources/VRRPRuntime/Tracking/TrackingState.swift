/// One instance's tracked objects and what they add up to, as keepalived's `vrrp_track.c` computes it:
///
/// * weight 0: the object failing (script down, interface down, file non-zero) puts the instance in FAULT;
/// * weight > 0: added while the object is up (with `reverse`: while it is down);
/// * weight < 0: added (so subtracted) while the object is down (with `reverse`: while it is up);
/// * a tracked file adds its number times the weight (negated with `reverse`); with weight 0 a non-zero number
///   is a FAULT.
///
/// The total is the base priority plus these; the core clamps it to 1...254 and never moves an owner's 255.
/// Pure; the engine feeds it script results, link events and file reads.
public struct TrackingState: Hashable, Sendable {
    /// The plan.
    public let plan: TrackingPlan
    /// Scripts that are up now (by name).
    public private(set) var scriptsUp: [String: Bool] = [:]
    /// Interfaces that are up now (by name).
    public private(set) var interfacesUp: [String: Bool] = [:]
    /// Tracked files' numbers (by name).
    public private(set) var fileValues: [String: Int] = [:]

    /// Starts with every script in `initialScripts`' state (`init_fail` scripts down, others up until their first
    /// verdict, as keepalived), every interface up until told otherwise, every file 0.
    public init(plan: TrackingPlan, initialScripts: [String: Bool] = [:]) {
        self.plan = plan
        for s in plan.scripts { scriptsUp[s.name] = initialScripts[s.name] ?? true }
        for i in plan.interfaces { interfacesUp[i.name] = true }
        for f in plan.files { fileValues[f.name] = 0 }
    }

    /// Records a script's state; returns whether anything this instance tracks changed.
    @discardableResult
    public mutating func setScript(_ name: String, up: Bool) -> Bool {
        guard scriptsUp[name] != nil, scriptsUp[name] != up else { return false }
        scriptsUp[name] = up
        return true
    }

    /// Records an interface's state; returns whether it is tracked and changed.
    @discardableResult
    public mutating func setInterface(_ name: String, up: Bool) -> Bool {
        guard interfacesUp[name] != nil, interfacesUp[name] != up else { return false }
        interfacesUp[name] = up
        return true
    }

    /// Records a tracked file's number; returns whether it changed.
    @discardableResult
    public mutating func setFile(_ name: String, value: Int) -> Bool {
        guard fileValues[name] != nil, fileValues[name] != value else { return false }
        fileValues[name] = value
        return true
    }

    /// Whether tracking puts the instance in FAULT.
    public var isFaulted: Bool {
        for s in plan.scripts where s.weight == 0 && scriptsUp[s.name] == false { return true }
        for i in plan.interfaces where i.weight == 0 && interfacesUp[i.name] == false { return true }
        for f in plan.files where f.weight == 0 && (fileValues[f.name] ?? 0) != 0 { return true }
        // keepalived: a file product of -254 or less is a FAULT too.
        for f in plan.files where f.weight != 0 && fileContribution(f) <= -254 { return true }
        return false
    }

    /// The sum of the weights in effect (added to the base priority).
    public var weightTotal: Int {
        var total = 0
        for s in plan.scripts { total += Self.contribution(weight: s.weight, reverse: s.reverse, up: scriptsUp[s.name] ?? true) }
        for i in plan.interfaces { total += Self.contribution(weight: i.weight, reverse: i.reverse, up: interfacesUp[i.name] ?? true) }
        for f in plan.files where f.weight != 0 { total += fileContribution(f) }
        return total
    }

    private func fileContribution(_ f: TrackedFilePlan) -> Int {
        let v = (fileValues[f.name] ?? 0) * f.weight
        return max(-254, min(253, f.reverse ? -v : v))
    }

    static func contribution(weight: Int, reverse: Bool, up: Bool) -> Int {
        guard weight != 0 else { return 0 }
        let on = reverse ? !up : up
        if weight > 0 { return on ? weight : 0 }
        return on ? 0 : weight
    }
}
