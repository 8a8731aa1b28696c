import Foundation
import KeepalivedConfig
import ProgramRunner
import Testing
@testable import LVSDaemon

/// keepalived's load-time script warnings: SECURITY VIOLATION without script security, unsafe or missing scripts
/// named with the file:line of their keyword.
@Suite("lvsd: script audit")
struct ScriptAuditTests {
    /// A world-writable directory holding an executable script: unsafe for root under script security.
    private func unsafeScript() throws -> String {
        let dir = NSTemporaryDirectory() + "lvsd-audit-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o777)
        let path = dir + "/up.sh"
        try "#!/bin/sh\nexit 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    private func text(notifyUp: String, security: Bool) -> String {
        (security ? "global_defs {\n    enable_script_security\n    script_user root\n}\n" : "")
            + "virtual_server 10.10.0.1 80 {\n    delay_loop 60\n    lvs_method NAT\n    protocol TCP\n"
            + "    real_server 10.10.0.2 80 {\n        notify_up \"\(notifyUp)\"\n        MISC_CHECK {\n            misc_path /bin/true\n        }\n    }\n}\n"
    }

    @Test func everyScriptIsFoundWithItsKeyword() throws {
        let c = try candidate(text(notifyUp: "/bin/echo up", security: false), file: "/x/k.conf")
        let scripts = ScriptAudit.scripts(in: c.configuration)
        #expect(scripts.map(\.keyword) == ["notify_up", "misc_path"])
        #expect(scripts.map(\.command.location.description) == ["/x/k.conf:6", "/x/k.conf:8"])
    }

    @Test func vrrpScriptsAreAuditedToo() throws {
        let text = """
            global_defs {
                vrrp_notify_fifo /run/v.fifo
                vrrp_notify_fifo_script /bin/cat
            }
            vrrp_script chk {
                script "/bin/true"
            }
            vrrp_sync_group G {
                group {
                    VI_1
                }
                notify_master /bin/true
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 1
                virtual_ipaddress {
                    10.0.0.1
                }
                notify_backup "/bin/echo b"
                notify /bin/true
            }
            """
        let c = try candidate(text, file: "/x/k.conf")
        let scripts = ScriptAudit.scripts(in: c.configuration)
        #expect(scripts.map(\.keyword) == ["vrrp_notify_fifo_script", "script", "notify_master", "notify_backup", "notify"])
        #expect(scripts.map(\.command.location.line) == [3, 6, 12, 20, 21])
    }

    @Test func withoutScriptSecurityTheViolationIsLoggedOnce() throws {
        let c = try candidate(text(notifyUp: "/bin/echo up", security: false))
        let findings = ScriptAudit.findings(for: c.configuration, runner: ProgramRunner())
        #expect(findings == [.init(isError: false, message: "SECURITY VIOLATION - scripts are being executed but script_security not enabled.")])
    }

    @Test func anUnsafeScriptIsNamedWithFileAndLine() throws {
        let path = try unsafeScript()
        let c = try candidate(text(notifyUp: path, security: true), file: "/x/k.conf")
        let runner = ProgramRunner(scriptSecurity: true, defaultUser: "root")
        let findings = ScriptAudit.findings(for: c.configuration, runner: runner)
        #expect(findings.count == 1)
        #expect(findings.first?.isError == true)
        #expect(findings.first?.message.hasPrefix("/x/k.conf:10: notify_up: Unsafe permissions found for script '\(path)'") == true,
                "\(findings)")
        #expect(findings.first?.message.hasSuffix("- disabling") == true)
    }

    @Test func aMissingProgramIsNamed() throws {
        let c = try candidate(text(notifyUp: "/nonexistent/notify.sh", security: false), file: "/x/k.conf")
        let findings = ScriptAudit.findings(for: c.configuration, runner: ProgramRunner())
        #expect(findings.count == 2)
        #expect(findings.last?.message.contains("/x/k.conf:6: notify_up:") == true, "\(findings)")
        #expect(findings.last?.message.contains("/nonexistent/notify.sh") == true)
    }

    @Test func noScriptsNoFindings() throws {
        let c = try candidate("virtual_server 10.10.0.1 80 {\n    protocol TCP\n    real_server 10.10.0.2 80 {\n        TCP_CHECK {\n        }\n    }\n}\n")
        #expect(ScriptAudit.findings(for: c.configuration, runner: ProgramRunner()).isEmpty)
    }

    @Test func aChangedScriptPolicyIsSaidToWaitForARestart() throws {
        let c = try candidate(text(notifyUp: "/bin/echo up", security: true))
        let findings = ScriptAudit.findings(for: c.configuration, runner: ProgramRunner())
        #expect(findings.first?.message.hasPrefix("script_user and enable_script_security are read at start only") == true, "\(findings)")
        let same = ScriptAudit.findings(for: c.configuration, runner: ProgramRunner(scriptSecurity: true, defaultUser: "root"))
        #expect(same.isEmpty, "\(same)")
    }

    @Test func theDefaultUserIsScriptUserThenKeepalivedScript() {
        #expect(ScriptAudit.defaultUser(configured: "nobody", keepalivedScriptUser: "keepalived_script") == "nobody")
        #expect(ScriptAudit.defaultUser(configured: nil, keepalivedScriptUser: "keepalived_script") == "keepalived_script")
        #expect(ScriptAudit.defaultUser(configured: nil, keepalivedScriptUser: nil) == nil)
    }
}
