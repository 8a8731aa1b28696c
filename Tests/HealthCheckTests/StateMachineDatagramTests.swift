import Testing

@testable import HealthCheck

@Suite("State machine: UDP_CHECK, DNS_CHECK and PING_CHECK counting and keepalived's wording")
struct StateMachineDatagramTests {
    let target = CheckTarget(host: "10.0.0.2", port: 80)

    private func spec(_ probe: CheckProbe, _ timers: CheckTimers = CheckTimers(delayLoop: .seconds(10))) -> CheckSpec {
        CheckSpec(probe: probe, timers: timers)
    }

    @Test func defaults() {
        #expect(CheckTimers.defaults(for: .udp).retry == 1)
        #expect(CheckTimers.defaults(for: .ping).delayBeforeRetry == .seconds(1))
        let dns = CheckTimers.defaults(for: .dns, delayLoop: .seconds(7))
        #expect(dns.retry == 3 && dns.delayBeforeRetry == .seconds(7))
        #expect(CheckProbe.udp(UDPCheck(target: target)).kind.rawValue == "UDP_CHECK")
        #expect(CheckProbe.dns(DNSCheck(target: target)).kind.rawValue == "DNS_CHECK")
        #expect(CheckProbe.ping(PingCheck(target: target)).kind.rawValue == "PING_CHECK")
    }

    @Test func udpWording() {
        var timeline = FakeTimeline(spec(.udp(UDPCheck(target: target)),
                                         CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(2), retry: 2)))
        timeline.pass()
        #expect(timeline.messages == ["UDP connection to [10.0.0.2]:tcp:80 success."])
        let first = timeline.fail(.replyMismatch("x"))
        #expect(first.transition == nil && first.delay == .seconds(2))
        #expect(first.failureMessage?.rendered(for: timeline.id) == "UDP check to [10.0.0.2]:tcp:80 reply data mismatch.")
        #expect(timeline.fail(.connectionRefused).failureMessage?.rendered(for: timeline.id)
                == "UDP connection to [10.0.0.2]:tcp:80 failed.")
        #expect(timeline.fail(.connectionRefused).transition == .down)
        #expect(timeline.messages.last == "UDP_CHECK on service [10.0.0.2]:tcp:80 failed after 2 retries.")
        #expect(timeline.pass().transition == .up)
    }

    @Test func udpFirstFailureIsDownAtOnce() {
        var timeline = FakeTimeline(spec(.udp(UDPCheck(target: target))))
        #expect(timeline.fail(.replyTimeout).transition == .down)
        #expect(timeline.messages == ["UDP_CHECK on service [10.0.0.2]:tcp:80 failed."])
    }

    @Test func pingWording() {
        var timeline = FakeTimeline(spec(.ping(PingCheck(target: target))))
        timeline.pass()
        #expect(timeline.messages == ["ICMP connection to [10.0.0.2]:tcp:80 success."])
        #expect(timeline.fail(.replyTimeout).failureMessage?.rendered(for: timeline.id)
                == "ICMP connection to address [10.0.0.2]:tcp:80 timeout.")
        #expect(timeline.fail(.receiveError(errno: 113, message: "No route to host")).transition == .down)
        #expect(timeline.messages.last == "ICMP CHECK on service [10.0.0.2]:tcp:80 of [10.0.0.1]:tcp:80 failed after 1 retries.")
    }

    @Test func dnsCountsRetryThreeAndLogsItsReasons() {
        var timeline = FakeTimeline(spec(.dns(DNSCheck(target: target)),
                                         CheckTimers(delayLoop: .seconds(10), delayBeforeRetry: .seconds(10), retry: 3)))
        timeline.pass()
        #expect(timeline.messages.isEmpty)  // check_dns.c logs nothing on success
        for _ in 0..<3 {
            let decision = timeline.fail(.replyTimeout)
            #expect(decision.transition == nil)
            #expect(decision.failureMessage?.rendered(for: timeline.id) == "DNS_CHECK ([10.0.0.2]:tcp:80) read timeout from socket")
        }
        #expect(timeline.fail(.dnsRcode(2)).transition == .down)
        #expect(timeline.messages == ["DNS_CHECK ([10.0.0.2]:tcp:80) read error occurred. (rcode = 2) after 3 retries"])
        #expect(timeline.pass().transition == .up)
    }

    @Test func dnsStartUpFailureAndRetryZeroWording() {
        var startUp = FakeTimeline(spec(.dns(DNSCheck(target: target))))
        #expect(startUp.fail(.connectionRefused).transition == .down)
        #expect(startUp.messages == ["DNS_CHECK ([10.0.0.2]:tcp:80) failed to read socket; errno 111 (Connection refused)"])
        // keepalived appends the count even for retry 0, once the checker has run.
        var noRetry = FakeTimeline(spec(.dns(DNSCheck(target: target)), CheckTimers(delayLoop: .seconds(10), retry: 0)))
        noRetry.pass()
        #expect(noRetry.fail(.replyTimeout).transition == .down)
        #expect(noRetry.messages == ["DNS_CHECK ([10.0.0.2]:tcp:80) read timeout from socket after 0 retries"])
    }
}
