import Testing
@testable import SMTPAlert

/// keepalived 2.2.7's texts, byte for byte (vrrp_notify.c, check_tcp.c, check_http.c, check_misc.c, ipwrapper.c).
@Suite struct AlertMailTests {
    @Test func vrrpInstanceMails() {
        let expected: [(VRRPAlertState, String, String)] = [
            (.master, "[lb1] VRRP Instance VI_1 - Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="),
            (.backup, "[lb1] VRRP Instance VI_1 - Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="),
            (.fault, "[lb1] VRRP Instance VI_1 - Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="),
            (.stopping, "[lb1] VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="),
            (.deleted, "[lb1] VRRP Instance VI_1 - Deleted", "=> VRRP Deleted at reload <="),
        ]
        for (state, subject, body) in expected {
            #expect(AlertMail.vrrpInstance("VI_1", state, routerID: "lb1") == AlertMail(subject: subject, body: body))
        }
    }

    @Test func vrrpGroupMails() {
        let expected: [(VRRPAlertState, String, String)] = [
            (.master, "[lb1] VRRP Group G1 - Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="),
            (.backup, "[lb1] VRRP Group G1 - Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="),
            (.fault, "[lb1] VRRP Group G1 - Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="),
            (.stopping, "[lb1] VRRP Group G1 - Stopping", "=> All VRRP group instances are now stopping <="),
        ]
        for (state, subject, body) in expected {
            #expect(AlertMail.vrrpGroup("G1", state, routerID: "lb1") == AlertMail(subject: subject, body: body))
        }
        #expect(AlertMail.vrrpGroup("G1", .deleted, routerID: "lb1") == nil)
    }

    @Test func realServerMailsPerChecker() {
        let rs = "[10.0.0.2]:tcp:80", vs = "[10.0.0.100]:tcp:80"
        let up = "[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - UP"
        let down = "[lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN"
        let cases: [(CheckerAlert, Bool, String, String)] = [
            (.tcpSucceeded, true, up, "=> TCP CHECK succeed on service <="),
            (.tcpFailed, false, down, "=> TCP CHECK failed on service <="),
            (.httpSucceeded, true, up, "=> CHECK succeed on service <="),
            (.httpFailed(), false, down, "=> CHECK failed on service : HTTP request failed <="),
            (.httpFailed(reason: "connection refused"), false, down, "=> CHECK failed on service : connection refused <="),
            (.miscSucceeded, true, up, "=> MISC CHECK succeeded on service <="),
            (.miscFailed, false, down, "=> MISC CHECK failed on service <="),
            (.miscTimedOut, false, down, "=> MISC CHECK timed out on service <="),
            // A checker passing again while another still fails: the subject says the real server is DOWN.
            (.tcpSucceeded, false, down, "=> TCP CHECK succeed on service <="),
            (.removed, true, down, "=> Removing <="),
            (.shuttingDown, true, down, "=> Shutting down <="),
        ]
        for (alert, alive, subject, body) in cases {
            let mail = AlertMail.realServer(rs, of: vs, alive: alive, alert, routerID: "lb1")
            #expect(mail.subject == subject)
            #expect(mail.body == body)
        }
    }

    @Test func quorumMailsPrintKeepalivedsNumbers() {
        func mail(_ event: QuorumAlert.Event, _ t: Int64, _ w: Int64) -> AlertMail {
            .virtualServer("[10.0.0.100]:tcp:80", QuorumAlert(event, quorum: 3, hysteresis: 1, threshold: t, weightSum: w),
                           routerID: "lb1")
        }
        #expect(mail(.gained, 4, 5) == AlertMail(subject: "[lb1] Virtualserver [10.0.0.100]:tcp:80 - UP",
                                                  body: "=> Gained quorum 3+1=4 <= 5 <="))
        // Losing prints Q+H=T with T = Q-H, as keepalived does.
        #expect(mail(.lost, 2, 1) == AlertMail(subject: "[lb1] Virtualserver [10.0.0.100]:tcp:80 - DOWN",
                                                body: "=> Lost quorum 3+1=2 <= 1 <="))
        #expect(mail(.startingUp, 4, 6).body == "=> Starting with quorum up 3+1=4 <= 6 <=")
        #expect(mail(.startingDown, 4, 0) == AlertMail(subject: "[lb1] Virtualserver [10.0.0.100]:tcp:80 - DOWN",
                                                        body: "=> Starting with quorum down 3+1=4 <= 0 <="))
        #expect(mail(.shuttingDown, 2, 0) == AlertMail(subject: "[lb1] Virtualserver [10.0.0.100]:tcp:80 - DOWN",
                                                        body: "=> Shutting down <="))
        // keepalived's 80-byte message buffer.
        let huge = QuorumAlert(.startingDown, quorum: .max, hysteresis: .max, threshold: .min, weightSum: .min)
        #expect(huge.body.utf8.count == 79)
        #expect(huge.body.hasPrefix("=> Starting with quorum down 4294967295+4294967295=-9223372036854775808 <= -92"))
    }

    @Test func subjectAndBodyAreCappedAsKeepalivedCapsThem() {
        let mail = AlertMail(routerID: "lb1", subject: String(repeating: "s", count: 400),
                             body: String(repeating: "b", count: 700))
        #expect(mail.subject.utf8.count == 255 && mail.subject.hasPrefix("[lb1] sss"))
        #expect(mail.body.utf8.count == 511)
        // Never inside a character: 254 bytes of "x" then a 2-byte "é" that does not fit.
        let accented = AlertMail(subject: String(repeating: "x", count: 254) + "é", body: "é")
        #expect(accented.subject == String(repeating: "x", count: 254))
        #expect(accented.body == "é")
        // One header line.
        #expect(AlertMail(subject: "a\r\nBcc: x", body: "").subject == "a  Bcc: x")
    }
}
