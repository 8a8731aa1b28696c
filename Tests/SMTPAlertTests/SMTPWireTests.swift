import Glibc
import Testing
@testable import SMTPAlert

/// The bytes of the dialogue without sockets: the message after DATA, the replies' parsing, keepalived's steps.
@Suite struct SMTPWireTests {
    @Test func messageBytes() {
        let mail = AlertMail.realServer("[10.0.0.2]:tcp:80", of: "[10.0.0.100]:tcp:80", alive: false, .tcpFailed,
                                        routerID: "lb1")
        let bytes = SMTPMessage.render(mail, from: "lvs@example.com", recipients: ["a@example.com", "b@example.com"],
                                       date: "Mon, 01 Mar 2021 09:44:08 +0000")
        #expect(String(decoding: bytes, as: UTF8.self) == """
            Date: Mon, 01 Mar 2021 09:44:08 +0000\r
            From: lvs@example.com\r
            Subject: [lb1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN\r
            X-Mailer: Keepalived\r
            To: a@example.com, b@example.com\r
            \r
            => TCP CHECK failed on service <=\r
            \r
            .\r

            """)
    }

    @Test func bodyLinesAreTransparent() {
        let bytes = SMTPMessage.render(AlertMail(subject: "s", body: "one\n.two\r\nthree"), from: "f", recipients: ["t"],
                                       date: "d")
        #expect(String(decoding: bytes, as: UTF8.self).hasSuffix("\r\n\r\none\r\n..two\r\nthree\r\n\r\n.\r\n"))
    }

    @Test(arguments: [0, 1_614_591_848, 1_700_000_000, 951_782_400])
    func dateHeaderIsStrftimeInTheCLocale(_ t: Int) {
        var seconds = time_t(t)
        var parts = tm()
        _ = localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 80)
        let n = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S %z", &parts)
        let expected = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(SMTPMessage.dateHeader(time_t(t)) == expected)
    }

    @Test func repliesAcrossReadsAndMultiLine() {
        var reader = SMTPReplyReader()
        #expect(reader.feed(Array("220-mail.example.com ESMTP\r\n220-more".utf8)).isEmpty)
        #expect(reader.feed(Array(" text\r\n22".utf8)).isEmpty)
        #expect(reader.feed(Array("0 ready\r\n250 OK\r\n".utf8)) == [.reply(code: 220, line: "220 ready"),
                                                                  .reply(code: 250, line: "250 OK")])
        #expect(reader.feed(Array("221\r\n".utf8)) == [.reply(code: 221, line: "221")])
    }

    @Test func garbageAndOverflow() {
        var reader = SMTPReplyReader()
        #expect(reader.feed(Array("hello there\r\n".utf8)) == [.garbage("hello there")])
        #expect(reader.feed(Array("25\r\n".utf8)) == [.garbage("25")])
        #expect(reader.feed(Array("250x\r\n".utf8)) == [.garbage("250x")])
        #expect(reader.feed([UInt8](repeating: UInt8(ascii: "2"), count: 1025)) == [.overflow])
        #expect(reader.feed(Array("250 fine\r\n".utf8)) == [.reply(code: 250, line: "250 fine")])
    }

    func text(_ action: SMTPDialogue.Action) -> String {
        if case .send(let bytes) = action { return String(decoding: bytes, as: UTF8.self) }
        return "<close>"
    }

    @Test func dialogueInKeepalivedsOrder() {
        var d = SMTPDialogue(helo: "lb1", from: "lvs@example.com", recipients: ["a@x", "b@x"], message: Array("MSG".utf8))
        var sent: [String] = []
        for code in [220, 250, 250, 250, 251, 354, 250, 221] {
            let (action, expected) = d.received(code: code)
            #expect(expected)
            sent.append(text(action))
        }
        #expect(sent == ["HELO lb1\r\n", "MAIL FROM:<lvs@example.com>\r\n", "RCPT TO:<a@x>\r\n", "RCPT TO:<b@x>\r\n",
                         "DATA\r\n", "MSG", "QUIT\r\n", "<close>"])
        #expect(d.delivered && d.step == .done)
    }

    @Test func anUnexpectedCodeEndsWithQuit() {
        var d = SMTPDialogue(helo: "h", from: "f", recipients: ["a@x", "b@x"], message: [])
        _ = d.received(code: 220)
        _ = d.received(code: 250)
        _ = d.received(code: 250)
        #expect(d.step == .rcpt)
        let (action, expected) = d.received(code: 550)
        #expect(!expected && text(action) == "QUIT\r\n" && d.step == .quit && !d.delivered)
        #expect(text(d.received(code: 221).action) == "<close>")
        // A QUIT that is not answered with 221 closes too.
        var e = SMTPDialogue(helo: "h", from: "f", recipients: ["a@x"], message: [])
        #expect(text(e.received(code: 554).action) == "QUIT\r\n")
        #expect(text(e.received(code: 500).action) == "<close>" && e.step == .done)
        // Abandoning after QUIT closes.
        var f = SMTPDialogue(helo: "h", from: "f", recipients: ["a@x"], message: [])
        #expect(text(f.abandon()) == "QUIT\r\n" && text(f.abandon()) == "<close>")
    }
}
