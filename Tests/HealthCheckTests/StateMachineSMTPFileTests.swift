import Testing
import TrackFile

@testable import HealthCheck

@Suite("State machine: SMTP_CHECK retry counting and FILE_CHECK weights, as keepalived")
struct StateMachineSMTPFileTests {
    let smtp = SMTPCheck(target: CheckTarget(host: "10.0.0.2", port: 25))

    private func smtpTimeline(retry: Int = 1, logAll: Bool = false) -> FakeTimeline {
        FakeTimeline(CheckSpec(probe: .smtp(smtp), timers: CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(2),
                                                                       retry: retry, logAllFailures: logAll)))
    }

    @Test func smtpRetriesAtStartUpBeforeGoingDown() {
        var t = smtpTimeline()
        let first = t.fail(.smtp(.readTimeout))
        #expect(first.transition == nil && first.delay == .seconds(2))
        #expect(t.messages.isEmpty)
        #expect(first.failureMessage?.rendered(for: t.id) == "SMTP_CHECK Read timeout from server [10.0.0.2]:25")
        let second = t.fail(.smtp(.badHelo("550")))
        #expect(second.transition == .down && second.delay == .seconds(10))
        #expect(t.messages == ["SMTP_CHECK Bad HELO response from server [10.0.0.2]:25"])
    }

    @Test func smtpSuccessLinesAndRecovery() {
        var t = smtpTimeline(retry: 0)
        t.pass()
        #expect(t.messages == ["Remote SMTP server [10.0.0.2]:tcp:80 succeed on service."])
        t.pass()
        #expect(t.messages.count == 1, "no line for a success while up")
        #expect(t.fail(.smtp(.connectFail)).transition == .down)
        #expect(t.messages.last == "SMTP_CHECK Could not connect to server [10.0.0.2]:25")
        // While down, failures still retry (keepalived's smtp_final) but log nothing.
        var down = smtpTimeline(retry: 2)
        down.fail(.smtp(.readFailure)); down.fail(.smtp(.readFailure))
        #expect(down.fail(.smtp(.readFailure)).transition == .down)
        let quiet = down.fail(.smtp(.readFailure))
        #expect(quiet.transition == nil && quiet.delay == .seconds(2) && quiet.messages.isEmpty && quiet.failureMessage == nil)
        down.fail(.smtp(.readFailure))
        #expect(down.fail(.smtp(.readFailure)).delay == .seconds(10))
        #expect(down.pass().transition == .up)
        #expect(down.messages.last == "Remote SMTP server [10.0.0.2]:tcp:80 succeed on service.")
    }

    @Test func smtpSuccessResetsTheCount() {
        var t = smtpTimeline(retry: 1)
        t.pass()
        #expect(t.fail(.smtp(.readTimeout)).transition == nil)
        t.pass()
        #expect(t.fail(.smtp(.readTimeout)).transition == nil)
        #expect(t.fail(.smtp(.readTimeout)).transition == .down)
    }

    private func fileTimeline(weight: Int = 1, reverse: Bool = false, base: Int64 = 10) -> FakeTimeline {
        FakeTimeline(CheckSpec(probe: .file(FileCheck(name: "tf", path: "/x", weight: weight, reverse: reverse, baseWeight: base)),
                               timers: CheckTimers.defaults(for: .file)))
    }

    private func value(_ v: Int64) -> ProbeResult {
        var r = ProbeResult()
        r.fileValue = v
        return r
    }

    @Test func fileWeightIsBasePlusProduct() {
        var t = fileTimeline(weight: 2)
        let first = t.probe(value(3))
        #expect(first.transition == nil && first.weightChanged && first.weight == 16)
        #expect(first.delay == .seconds(1))
        let same = t.probe(value(3))
        #expect(!same.weightChanged && same.transition == nil)
        let lower = t.probe(value(-8))
        #expect(lower.weight == -6 && lower.transition == nil, "a weight below 0 is the director's to clamp; the server stays")
        let big = t.probe(.failed(.trackFileValue("Invalid number 99999999999 read from /x - ignoring")))
        #expect(!big.weightChanged && big.messages.map { $0.rendered(for: t.id) } == ["Invalid number 99999999999 read from /x - ignoring"])
        #expect(t.machine.fileValue == -8)
        // Read every second: the same problem is logged once, again after a good read.
        #expect(t.probe(.failed(.trackFileValue("Invalid number 99999999999 read from /x - ignoring"))).messages.isEmpty)
        t.probe(value(-8))
        #expect(t.probe(.failed(.trackFileValue("Invalid number 99999999999 read from /x - ignoring"))).messages.count == 1)
    }

    @Test func fileWeightZeroFaultsOnNonZero() {
        var t = fileTimeline(weight: 0)
        #expect(t.probe(value(0)).transition == nil)
        let fault = t.probe(value(1))
        #expect(fault.transition == .down)
        #expect(t.messages == ["([10.0.0.2]:tcp:80): tracked file tf now FAULT state"])
        #expect(t.probe(value(2)).transition == nil)
        let back = t.probe(value(0))
        #expect(back.transition == .up)
        #expect(t.messages.last == "([10.0.0.2]:tcp:80): tracked file tf leaving FAULT state")
    }

    @Test func fileStartsDownLikeKeepalived() {
        var nonZero = fileTimeline(weight: 0)
        #expect(nonZero.probe(value(5)).transition == .down)
        // keepalived ignores reverse at start-up with weight 0: 0 starts up.
        var reversed = fileTimeline(weight: 0, reverse: true)
        #expect(reversed.probe(value(0)).transition == nil)
        #expect(reversed.machine.state == .up)
        // A product at INT32_MIN or below is a fault.
        var huge = fileTimeline(weight: -2)
        #expect(huge.probe(value(Int64(Int32.max))).transition == .down)
    }

    @Test func reverseNegatesTheProduct() {
        var t = fileTimeline(weight: -1, reverse: true, base: 10)
        #expect(t.probe(value(2)).weight == 12)
        #expect(t.probe(value(0)).weight == 10)
    }
}

@Suite("FILE_CHECK: reading a track file as keepalived's strtol")
struct TrackFileParseTests {
    private func parse(_ s: String) -> TrackFileNumber { TrackFile.parse(Array(s.utf8)) }

    @Test func numbers() {
        #expect(parse("42\n") == .number(42))
        #expect(parse("  -7 trailing") == .number(-7))
        #expect(parse("+3") == .number(3))
        #expect(parse("0x1F") == .number(31))
        #expect(parse("010") == .number(8))
        #expect(parse("08") == .number(0))
        #expect(parse("0x") == .number(0))
        #expect(parse("2147483648") == .number(2_147_483_648))
    }

    @Test(arguments: ["", "abc", "garbage 12", "\u{1}\u{2}", "-", "--5", "\u{FFFD}"])
    func garbageReadsAsZero(text: String) {
        #expect(parse(text) == .number(0))
    }

    @Test func outOfRangeIsIgnored() {
        #expect(parse("99999999999") == .outOfRange(99_999_999_999))
        #expect(parse("-2147483649") == .outOfRange(-2_147_483_649))
        #expect(parse("99999999999999999999999") == .outOfRange(Int64.max))
        #expect(parse("-99999999999999999999999") == .outOfRange(Int64.min))
    }
}
