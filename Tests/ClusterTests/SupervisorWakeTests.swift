import Foundation
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
}
