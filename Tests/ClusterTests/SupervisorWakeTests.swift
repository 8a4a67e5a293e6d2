import Foundation
import Synchronization
import Testing
import TGClusterTesting
@testable import ClusterRuntime

/// The supervisor loop's wait: a deadline or a word, whichever comes first, and no word lost
/// between the loop's look and its wait.
@Suite("SupervisorWake")
struct SupervisorWakeTests {
    @Test func aWordPostedBeforeTheWait_endsItAtOnce() async {
        let wake = SupervisorWake()
        wake.post()
        let start = ContinuousClock.now
        await wake.wait(until: start + .seconds(30))
        #expect(ContinuousClock.now - start < TestBounds.notStuck(.seconds(5)))
    }

    @Test func aWait_endsAtItsDeadline_orAtAWord() async {
        let wake = SupervisorWake()
        let start = ContinuousClock.now
        await wake.wait(until: start + .milliseconds(200))
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(200) && waited < TestBounds.notStuck(.seconds(5)), "\(waited)")
        let again = ContinuousClock.now
        Thread.detachNewThread {
            usleep(100_000)
            wake.post()
        }
        await wake.wait(until: again + .seconds(30))
        #expect(ContinuousClock.now - again < TestBounds.notStuck(.seconds(5)), "the word ended the wait")
    }

    /// An earlier wait's deadline, whose timer cannot be taken back, does not cut a later wait
    /// short: the loop would otherwise turn more often than its deadlines say.
    @Test func anEarlierWaitsDeadline_doesNotEndALaterWait() async {
        let wake = SupervisorWake()
        Thread.detachNewThread {
            usleep(20_000)
            wake.post()
        }
        let first = ContinuousClock.now
        await wake.wait(until: first + .milliseconds(300))  // ended by the word; its timer still runs
        let start = ContinuousClock.now
        await wake.wait(until: start + .milliseconds(600))
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(600), "ended early after \(waited): the first wait's deadline came at ~300 ms")
    }

    /// A deadline whose timer fires before the wait has parked (a short delay, a thread
    /// preempted between the two) still ends that wait. Lost, the supervisor's loop slept until
    /// the next child event or request: no watchdog ping to the service manager meanwhile (CI:
    /// `systemd notify`, 0 pings in 3 s). Each wait a microsecond long; 5 s later a word ends
    /// the wait if it is still parked, and counts it (a wait ended by its deadline but resumed
    /// late by a loaded pool is not parked, and not counted).
    @Test func aDeadlineThatPassesBeforeTheWaitParks_stillEndsIt() async {
        let wake = SupervisorWake()
        let lost = Mutex(0), current = Mutex(0)
        // At most 2 s of waits: no check (5 s after its own wait) comes during a later one.
        let end = ContinuousClock.now + .seconds(2)
        for i in 1...2_000 where ContinuousClock.now < end {
            current.withLock { $0 = i }
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
                if current.withLock({ $0 }) == i, wake.post() { lost.withLock { $0 += 1 } }
            }
            await wake.wait(until: .now + .microseconds(1))
            if lost.withLock({ $0 }) > 0 { break }
        }
        #expect(lost.withLock { $0 } == 0, "a deadline passed and the wait went on until a word")
    }
}
