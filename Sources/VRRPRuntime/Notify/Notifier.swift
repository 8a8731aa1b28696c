import Logging
import ProgramRunner
import VRRP

/// Runs keepalived's notify scripts for VRRP state changes: the state's own script (`notify_master`,
/// `notify_backup`, `notify_fault`, `notify_stop`) with only its configured arguments, then the generic `notify`
/// with `INSTANCE|GROUP NAME STATE PRIORITY` appended, none waited for. A script that fails is logged.
struct Notifier: Sendable {
    let runner: ProgramRunner
    let logger: Logger

    /// The programs to start when `name` (an instance, or a group with `kind` "GROUP" and priority 0) enters
    /// `state`, in order.
    static func programs(for plan: NotifyPlan, kind: String, name: String, state: String, priority: UInt8) -> [ProgramSpec] {
        let specific: ProgramSpec? = switch state {
        case "MASTER": plan.master
        case "BACKUP": plan.backup
        case "FAULT": plan.fault
        case "STOP": plan.stop
        case "DELETED": plan.deleted
        default: nil
        }
        var out: [ProgramSpec] = specific.map { [$0] } ?? []
        if var generic = plan.generic {
            generic.arguments += [kind, name, state, String(priority)]
            out.append(generic)
        }
        return out
    }

    /// The programs to start when a reload removes instance `name` (keepalived's `clear_diff_vrrp`): with
    /// `notify_deleted`, its script and the generic one with DELETED; without, only the generic one with FAULT
    /// (keepalived picks the specific script before it renames the state), and nothing at all for an instance
    /// that was in FAULT already. `nil`: no notification.
    static func deletion(for plan: NotifyPlan, name: String, wasFault: Bool, priority: UInt8) -> (state: String, programs: [ProgramSpec])? {
        guard plan.notifyDeleted || !wasFault else { return nil }
        let state = plan.notifyDeleted ? "DELETED" : "FAULT"
        var programs: [ProgramSpec] = plan.deleted.map { [$0] } ?? []
        if var generic = plan.generic {
            generic.arguments += ["INSTANCE", name, state, String(priority)]
            programs.append(generic)
        }
        return (state, programs)
    }

    /// Starts the scripts for a state change.
    func notify(_ plan: NotifyPlan, kind: String, name: String, state: String, priority: UInt8) {
        for spec in Self.programs(for: plan, kind: kind, name: name, state: state, priority: priority) { start(spec) }
    }

    /// Starts one script without waiting.
    func start(_ spec: ProgramSpec) {
        guard !spec.arguments.isEmpty else { return }
        let logger = self.logger
        let shown = spec.arguments.joined(separator: " ")
        runner.start(spec) { outcome in
            switch outcome {
            case .exited(0): break
            case .exited(let s): logger.warning("script \(shown) exited with status \(s)")
            case .signalled(let s): logger.warning("script \(shown) was killed by signal \(s)")
            case .timedOut: logger.warning("script \(shown) timed out")
            case .failedToStart(let e): logger.error("cannot run script \(shown): \(e)")
            }
        }
    }
}
