import Foundation
import Locking
import Synchronization
import Testing
import Wire
@testable import ClusterRuntime

@Suite("HangWatchdog")
struct HangWatchdogTests {
    typealias T = BrokerStateTests
    let t0 = ContinuousClock.now

    @Test func overdue_isTheOldestJobPastTheDeadline_andNothingBefore() {
        let running: [JobID: HangWatchdog.Entry] = [
            JobID(1): .init(started: t0 + .seconds(5), subject: .update(15)),
            JobID(2): .init(started: t0, subject: .update(12)),
            JobID(3): .init(started: t0 + .seconds(1), subject: .update(13)),
        ]
        #expect(HangWatchdog.overdue(running, now: t0 + .seconds(10), deadline: .seconds(10)) == nil, "exactly at the deadline is not past it")
        #expect(HangWatchdog.overdue(running, now: t0 + .seconds(12), deadline: .seconds(10))?.0 == 2)
        #expect(HangWatchdog.overdue([:], now: t0 + .seconds(99), deadline: .seconds(1)) == nil)
    }

    /// The thread sleeps until the oldest job's deadline has passed, a whole deadline when
    /// nothing runs, never less than the interval.
    @Test func theNextCheck_isJustPastTheOldestJobsDeadline_orADeadlineAway() {
        let running: [JobID: HangWatchdog.Entry] = [JobID(1): .init(started: t0 + .seconds(5), subject: .update(15)),
                                                    JobID(2): .init(started: t0 + .seconds(2), subject: .update(22))]
        let next = HangWatchdog.nextCheck(running, now: t0 + .seconds(6), deadline: .seconds(10), interval: .milliseconds(250))
        #expect(next > t0 + .seconds(12) && next <= t0 + .seconds(12) + .milliseconds(5))
        #expect(HangWatchdog.overdue(running, now: next, deadline: .seconds(10))?.0 == 2, "past the deadline when it looks")
        #expect(HangWatchdog.nextCheck([:], now: t0, deadline: .seconds(10), interval: .milliseconds(250)) > t0 + .seconds(10))
        #expect(HangWatchdog.nextCheck(running, now: t0 + .seconds(30), deadline: .seconds(10), interval: .milliseconds(250))
                == t0 + .seconds(30) + .milliseconds(250), "overdue already: again after the interval")
    }

    /// A worker's update job is kept as its update's id alone (no copy of the `Job` per job),
    /// and described as the job itself is; another job is kept whole.
    @Test func anUpdateJob_isKeptAsItsUpdatesID_andDescribedAsTheJobIs() {
        let fired = Mutex<[UInt64: HangWatchdog.Entry]>([:])
        let watchdog = HangWatchdog(deadline: .milliseconds(50), interval: .milliseconds(10)) { id, entry in
            fired.locked { $0[id] = entry }
        }
        let update = Job(id: 4, attempt: 1, payload: .update(handler: 0, T.update(77, chat: 1)))
        let named = Job(id: 5, attempt: 1, payload: .task(name: "report", input: Data()))
        watchdog.started(update, at: .now)
        let deadline = ContinuousClock.now + .seconds(10)
        while fired.locked({ $0[4] == nil }) && ContinuousClock.now < deadline { usleep(10_000) }
        watchdog.finished(4)
        watchdog.started(named, at: .now)
        while fired.locked({ $0[5] == nil }) && ContinuousClock.now < deadline { usleep(10_000) }
        watchdog.stop()
        let entries = fired.locked { $0 }
        #expect(entries[4]?.subject == .update(77))
        #expect(entries[4]?.what == JobRunner.describe(update) && entries[4]?.what == "update 77")
        #expect(entries[5]?.subject == .job(named) && entries[5]?.what == "job report")
    }

    /// The check runs on its own thread: it fires while the calling thread is blocked, and a
    /// finished job is forgotten.
    @Test func aJobPastItsDeadline_isReportedFromTheWatchdogsThread_aFinishedOneNever() {
        let fired = Mutex<[UInt64]>([])
        let watchdog = HangWatchdog(deadline: .milliseconds(200), interval: .milliseconds(20)) { id, _ in
            fired.locked { if !$0.contains(id) { $0.append(id) } }
        }
        watchdog.started(update: 1)
        watchdog.started(update: 2)
        watchdog.finished(2)
        let deadline = ContinuousClock.now + .seconds(10)
        while fired.locked({ $0.isEmpty }) && ContinuousClock.now < deadline { usleep(10_000) }  // a blocked thread
        watchdog.stop()
        #expect(fired.locked { $0 } == [1])
        #expect(watchdog.count == 1)
    }
}
