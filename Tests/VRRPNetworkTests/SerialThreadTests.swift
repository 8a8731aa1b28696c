import Foundation
import Synchronization
import Testing
@testable import VRRPNetwork

/// The netlink client's thread: work runs one item at a time, in the order given; `runHereIfIdle` runs on the
/// caller's thread only when nothing is queued or running, and is queued otherwise.
@Suite struct SerialThreadTests {
    /// Idle: the work runs before the call returns, on the calling thread.
    @Test func idleWorkRunsOnTheCallersThread() throws {
        let thread = try SerialThread()
        defer { thread.stop() }
        let ran = Mutex<(done: Bool, onCaller: Bool)>((false, false))
        let caller = pthread_self()
        thread.runHereIfIdle { ran.withLock { $0 = (true, pthread_equal(pthread_self(), caller) != 0) } }
        #expect(ran.withLock { $0.done && $0.onCaller })
    }

    /// Busy: a job holds the thread (it waits on a semaphore), so later work queues behind it and still runs in
    /// order, on the thread, none of it at the same time as another.
    @Test func busyWorkQueuesInOrder() throws {
        let thread = try SerialThread()
        defer { thread.stop() }
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let log = Mutex<[String]>([])
        let running = Mutex(0)
        let overlapped = Mutex(false)
        @Sendable func record(_ name: String) {
            if running.withLock({ $0 += 1; return $0 }) > 1 { overlapped.withLock { $0 = true } }
            log.withLock { $0.append(name) }
            running.withLock { $0 -= 1 }
        }
        thread.submit {
            started.signal()
            gate.wait()
            record("first")
        }
        #expect(started.wait(timeout: .now() + 30) == .success)
        let caller = pthread_self()
        let onCaller = Mutex(false)
        thread.runHereIfIdle {
            if pthread_equal(pthread_self(), caller) != 0 { onCaller.withLock { $0 = true } }
            record("second")
        }
        thread.submit { record("third") }
        #expect(log.withLock { $0.isEmpty }, "nothing ran before the first job was let go")
        gate.signal()
        let done = DispatchSemaphore(value: 0)
        thread.submit { done.signal() }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(log.withLock { $0 } == ["first", "second", "third"])
        #expect(!onCaller.withLock { $0 }, "queued work ran on the thread")
        #expect(!overlapped.withLock { $0 })
    }

    /// Work queued while a caller runs its own waits for it, then runs on the thread.
    @Test func workQueuedDuringACallersRunWaitsForIt() throws {
        let thread = try SerialThread()
        defer { thread.stop() }
        let log = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        thread.runHereIfIdle {
            thread.submit {
                log.withLock { $0.append("queued") }
                done.signal()
            }
            Thread.sleep(forTimeInterval: 0.2)  // the thread is signalled meanwhile and must not start it
            log.withLock { $0.append("here") }
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(log.withLock { $0 } == ["here", "queued"])
    }
}
