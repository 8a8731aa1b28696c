import KeepalivedConfig
import Testing
@testable import SMTPAlert

@Suite struct SMTPSettingsTests {
    func globals(_ text: String) -> GlobalDefinitions {
        let result = KeepalivedConfigParser.parse(text: text, file: "/etc/keepalived/keepalived.conf")
        #expect(!result.hasErrors, "\(result.diagnostics)")
        return result.configuration.globalDefinitions
    }

    @Test func keepalivedsDefaults() {
        let s = SMTPSettings(globals("global_defs {\n notification_email {\n ops@example.com\n }\n smtp_server 10.0.0.25\n}"),
                             hostName: "director1")
        #expect(s.server == SMTPSettings.Server(host: "10.0.0.25", port: 25))
        #expect(s.heloName == "director1" && s.routerID == "director1" && s.from == nil)
        #expect(s.connectTimeout == .seconds(30) && s.recipients == ["ops@example.com"] && s.canSend)
        #expect(s.server?.description == "[10.0.0.25]:25")
    }

    @Test func everythingGiven() {
        let s = SMTPSettings(globals("""
            global_defs {
                router_id LB1
                notification_email {
                    a@example.com
                    b@example.com
                }
                notification_email_from lvs@example.com
                smtp_server mail.example.com 2525
                smtp_helo_name lb1.example.com
                smtp_connect_timeout 7
            }
            """), hostName: "ignored")
        #expect(s.server == SMTPSettings.Server(host: "mail.example.com", port: 2525))
        #expect(s.heloName == "lb1.example.com" && s.routerID == "LB1" && s.from == "lvs@example.com")
        #expect(s.recipients == ["a@example.com", "b@example.com"] && s.toHeader == "a@example.com, b@example.com")
        #expect(s.connectTimeout == .seconds(7))
    }

    @Test func nothingIsSentWithoutServerOrRecipients() {
        #expect(!SMTPSettings(globals("global_defs {\n smtp_server 10.0.0.25\n}"), hostName: "h").canSend)
        #expect(!SMTPSettings(globals("global_defs {\n notification_email {\n a@b\n }\n}"), hostName: "h").canSend)
        #expect(SMTPSettings(globals(""), hostName: "h").routerID == "h")
    }

    @Test func noEmailFaultsIsParsedForTheVRRPMails() {
        #expect(globals("global_defs {\n no_email_faults\n}").mail.noEmailFaults)
        #expect(!globals("").mail.noEmailFaults)
    }

    @Test func hostNameAndDefaultSender() {
        let host = SMTPSettings.localHostName()
        #expect(!host.isEmpty && !host.contains("\0"))
        let from = SMTPSettings.defaultFrom(hostName: "director1")
        #expect(from == nil || from?.hasSuffix("@director1") == true)
    }
}
