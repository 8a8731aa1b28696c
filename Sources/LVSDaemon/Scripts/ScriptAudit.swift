import KeepalivedConfig
import Logging
import ProgramRunner

/// keepalived's load-time look at the scripts a configuration names (at start and after every applied reload):
/// the warning that scripts run without `enable_script_security`, and, for each script the runner would refuse
/// (unsafe permissions under script security, a missing program, an unknown user or group), a line with the
/// file:line of the keyword. The configuration is not refused for it, as keepalived does not refuse it: such a
/// script is disabled (the runner refuses it each time it would run, and that is logged too).
public struct ScriptAudit: Sendable {
    /// One script line of a configuration.
    public struct Script: Sendable, Hashable {
        /// The keyword that names it (`notify_up`, `misc_path`, ...).
        public var keyword: String
        /// The script line.
        public var command: ScriptCommand
    }

    /// Every script the configuration names, in file order: virtual servers' quorum scripts, real servers'
    /// notify scripts, MISC_CHECK programs, global_defs' notify FIFO scripts, and VRRP's scripts (`vrrp_script`,
    /// the instances' and sync groups' notify scripts).
    public static func scripts(in configuration: KeepalivedConfiguration) -> [Script] {
        var found: [Script] = []
        let g = configuration.globalDefinitions
        for (keyword, command) in [("lvs_notify_fifo_script", g.lvsNotifyFifoScript), ("notify_fifo_script", g.notifyFifoScript),
                                   ("vrrp_notify_fifo_script", g.vrrpNotifyFifoScript)] {
            if let command { found.append(Script(keyword: keyword, command: command)) }
        }
        for script in configuration.vrrp.scripts { found.append(Script(keyword: "script", command: script.script)) }
        func notifies(_ t: some VRRPTrackingAndNotify) {
            for (keyword, command) in [("notify_master", t.notifyMaster), ("notify_backup", t.notifyBackup),
                                       ("notify_fault", t.notifyFault), ("notify_stop", t.notifyStop), ("notify", t.notify)] {
                if let command { found.append(Script(keyword: keyword, command: command)) }
            }
        }
        for instance in configuration.vrrp.instances {
            notifies(instance)
            if let s = instance.notifyMasterRxLowerPriority { found.append(Script(keyword: "notify_master_rx_lower_pri", command: s)) }
        }
        for group in configuration.vrrp.syncGroups { notifies(group) }
        for vs in configuration.virtualServers {
            if let s = vs.quorumUp { found.append(Script(keyword: "quorum_up", command: s)) }
            if let s = vs.quorumDown { found.append(Script(keyword: "quorum_down", command: s)) }
            for rs in vs.realServers {
                if let s = rs.notifyUp { found.append(Script(keyword: "notify_up", command: s)) }
                if let s = rs.notifyDown { found.append(Script(keyword: "notify_down", command: s)) }
                for checker in rs.checkers {
                    if let misc = checker.misc { found.append(Script(keyword: "misc_path", command: misc.script)) }
                }
            }
        }
        return found.sorted { ($0.command.location.file, $0.command.location.line) < ($1.command.location.file, $1.command.location.line) }
    }

    /// One line to log.
    public struct Finding: Sendable, Hashable {
        /// An error (a script that will not run) rather than a warning.
        public var isError: Bool
        /// The line, in keepalived's wording where keepalived has one.
        public var message: String
    }

    /// The lines to log for `configuration` with `runner`'s policy. Empty when the configuration names no script.
    public static func findings(for configuration: KeepalivedConfiguration, runner: ProgramRunner) -> [Finding] {
        var lines: [Finding] = []
        let g = configuration.globalDefinitions
        if g.enableScriptSecurity != runner.scriptSecurity
            || (g.scriptUser != nil && (g.scriptUser != runner.defaultUser || g.scriptGroup != runner.defaultGroup)) {
            lines.append(Finding(isError: false, message: "script_user and enable_script_security are read at start only: "
                + "the change takes effect when lvsd is restarted"))
        }
        let scripts = scripts(in: configuration)
        guard !scripts.isEmpty else { return lines }
        if !runner.scriptSecurity {
            lines.append(Finding(isError: false, message: "SECURITY VIOLATION - scripts are being executed but script_security not enabled."))
        } else if runner.defaultUser == nil {
            // keepalived makes the default user mandatory under script security; lvsd then runs scripts without a
            // user of their own as itself, still refusing the unsafe ones.
            lines.append(Finding(isError: true, message: "Unable to set default user keepalived_script for script (no script_user, and no user keepalived_script)"))
        }
        var seen = Set<ScriptCommand>()
        for script in scripts where seen.insert(script.command).inserted {
            let spec = ProgramSpec(arguments: script.command.arguments, user: script.command.user, group: script.command.group)
            guard let problem = runner.check(spec) else { continue }
            lines.append(Finding(isError: true, message: "\(script.command.location): \(script.keyword): \(problem) - disabling"))
        }
        return lines
    }

    /// The user scripts without one run as: `script_user` if set, else keepalived's `keepalived_script` when that
    /// user exists (`keepalivedScriptUser`, ``ProgramRunner/keepalivedScriptUser`` in lvsd), else nil (lvsd's own
    /// user, root).
    public static func defaultUser(configured: String?, keepalivedScriptUser: String?) -> String? {
        configured ?? keepalivedScriptUser
    }

    /// Logs ``findings(for:runner:)``.
    public static func log(_ configuration: KeepalivedConfiguration, runner: ProgramRunner, to logger: Logger) {
        for finding in findings(for: configuration, runner: runner) {
            if finding.isError { logger.error("\(finding.message)") } else { logger.warning("\(finding.message)") }
        }
    }
}
