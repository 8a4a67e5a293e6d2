import Foundation
import Locking
import Synchronization
import Wire

/// Watches the deadline of every job a peer runs, from a thread of its own.
///
/// A task on Swift's shared pool cannot do this: handlers that block every pool thread (a
/// blocking call, a spin) would stop it, while the bus thread keeps heartbeating and the broker
/// keeps believing the process healthy. A plain thread that sleeps between checks needs none
/// of the pool. A task cannot be killed, so a job past its deadline ends the process (the
/// broker hands its jobs to another peer, the supervisor starts a new one).
package final class HangWatchdog: Sendable {
    /// A running job: when it started and what it is, for the log.
    struct Entry: Sendable, Equatable {
        /// A job is described only if it hangs: a description built per job is a string
        /// allocated per job for a line that is almost never written. An update's job is kept as
        /// its update's id (the description needs no more, and a copy of the `Job` retained and
        /// released its references per job); another job as it is, boxed, so that an entry is
        /// a few words for the table to move (the `Job` inline made every insert ~480
        /// instructions).
        enum Subject: Sendable, Equatable {
            case update(Int64)
            indirect case job(Job)
        }

        var started: ContinuousClock.Instant
        var subject: Subject

        init(started: ContinuousClock.Instant, subject: Subject) {
            self.started = started
            self.subject = subject
        }

        var what: String {
            switch subject {
            case .update(let id): return JobRunner.describe(update: id)
            case .job(let job): return JobRunner.describe(job)
            }
        }
    }

    private struct State: ~Copyable {
        var running: [JobID: Entry] = [:]
        var stopped = false
    }

    private let state = Mutex(State())
    private let deadline: Duration
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// Starts the thread: it looks for a job older than `deadline` when the oldest job's
    /// deadline comes (`nextCheck`), at most every `interval`, and calls `onHang` with it (which
    /// is expected not to return: it exits the process).
    init(deadline: Duration, interval: Duration, onHang: @escaping @Sendable (UInt64, Entry) -> Void) {
        self.deadline = deadline
        let thread = Thread.named("tgc.watchdog") { [self] in
            var next = Self.nextCheck([:], now: .now, deadline: deadline, interval: interval)
            while wake.wait(timeout: .now() + max(0, (next - .now).seconds)) == .timedOut {
                let now = ContinuousClock.now
                let (stopped, hung, check) = state.locked { s in
                    (s.stopped, Self.overdue(s.running, now: now, deadline: deadline), Self.nextCheck(s.running, now: now, deadline: deadline, interval: interval))
                }
                if stopped { break }
                if let (id, entry) = hung { onHang(id, entry) }
                next = check
            }
            done.signal()
        }
        thread.start()
    }

    /// When to look next (pure): just past the oldest running job's deadline, or a whole
    /// deadline from now when nothing runs (a job that starts meanwhile is due later still);
    /// never sooner than `interval` from now. A thread that looked every `interval` (250 ms)
    /// whatever ran woke 4 times a second in every idle worker.
    static func nextCheck(_ running: [JobID: Entry], now: ContinuousClock.Instant, deadline: Duration,
                          interval: Duration) -> ContinuousClock.Instant {
        let due = (running.values.map(\.started).min() ?? now) + deadline + .milliseconds(1)
        return max(due, now + interval)
    }

    /// The oldest job past `deadline` at `now`, if any (pure: tested without threads).
    static func overdue(_ running: [JobID: Entry], now: ContinuousClock.Instant, deadline: Duration) -> (UInt64, Entry)? {
        running.filter { now - $0.value.started > deadline }.min { $0.value.started < $1.value.started }.map { ($0.key.raw, $0.value) }
    }

    /// Update `updateID` runs under the key of its id's bits (the sequencer's).
    func started(update updateID: Int64, at now: ContinuousClock.Instant = .now) {
        state.locked { $0.running[JobID(UInt64(bitPattern: updateID))] = Entry(started: now, subject: .update(updateID)) }
    }

    /// `job` runs under its id (a worker's).
    func started(_ job: Job, at now: ContinuousClock.Instant) {
        let subject: Entry.Subject = job.updateID.map { .update($0) } ?? .job(job)
        state.locked { $0.running[JobID(job.id)] = Entry(started: now, subject: subject) }
    }

    func finished(_ id: UInt64) {
        state.locked { _ = $0.running.removeValue(forKey: JobID(id)) }
    }

    /// Jobs running now.
    var count: Int { state.locked { $0.running.count } }

    /// Stops the thread and waits for it.
    func stop() {
        let first = state.locked { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard first else { return }
        wake.signal()
        done.wait()
    }
}
