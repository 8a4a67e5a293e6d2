import Foundation
import Locking
import Synchronization
import Testing
@testable import ClusterRuntime

@Suite("HangWatchdog")
struct HangWatchdogTests {
    let t0 = ContinuousClock.now

    @Test func overdue_isTheOldestJobPastTheDeadline_andNothingBefore() {
        let running: [UInt64: HangWatchdog.Entry] = [
            1: .init(started: t0 + .seconds(5), what: "young"),
            2: .init(started: t0, what: "oldest"),
            3: .init(started: t0 + .seconds(1), what: "old"),
        ]
        #expect(HangWatchdog.overdue(running, now: t0 + .seconds(10), deadline: .seconds(10)) == nil, "exactly at the deadline is not past it")
        #expect(HangWatchdog.overdue(running, now: t0 + .seconds(12), deadline: .seconds(10))?.0 == 2)
        #expect(HangWatchdog.overdue([:], now: t0 + .seconds(99), deadline: .seconds(1)) == nil)
    }

    /// The thread sleeps until the oldest job's deadline has passed, a whole deadline when
    /// nothing runs, never less than the interval.
    @Test func theNextCheck_isJustPastTheOldestJobsDeadline_orADeadlineAway() {
        let running: [UInt64: HangWatchdog.Entry] = [1: .init(started: t0 + .seconds(5), what: "young"), 2: .init(started: t0 + .seconds(2), what: "old")]
        let next = HangWatchdog.nextCheck(running, now: t0 + .seconds(6), deadline: .seconds(10), interval: .milliseconds(250))
        #expect(next > t0 + .seconds(12) && next <= t0 + .seconds(12) + .milliseconds(5))
        #expect(HangWatchdog.overdue(running, now: next, deadline: .seconds(10))?.0 == 2, "past the deadline when it looks")
        #expect(HangWatchdog.nextCheck([:], now: t0, deadline: .seconds(10), interval: .milliseconds(250)) > t0 + .seconds(10))
        #expect(HangWatchdog.nextCheck(running, now: t0 + .seconds(30), deadline: .seconds(10), interval: .milliseconds(250))
                == t0 + .seconds(30) + .milliseconds(250), "overdue already: again after the interval")
    }

    /// The check runs on its own thread: it fires while the calling thread is blocked, and a
    /// finished job is forgotten.
    @Test func aJobPastItsDeadline_isReportedFromTheWatchdogsThread_aFinishedOneNever() {
        let fired = Mutex<[UInt64]>([])
        let watchdog = HangWatchdog(deadline: .milliseconds(200), interval: .milliseconds(20)) { id, _ in
            fired.locked { if !$0.contains(id) { $0.append(id) } }
        }
        watchdog.started(1, "stuck")
        watchdog.started(2, "quick")
        watchdog.finished(2)
        let deadline = ContinuousClock.now + .seconds(10)
        while fired.locked({ $0.isEmpty }) && ContinuousClock.now < deadline { usleep(10_000) }  // a blocked thread
        watchdog.stop()
        #expect(fired.locked { $0 } == [1])
        #expect(watchdog.count == 1)
    }
}
