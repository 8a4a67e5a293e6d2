import Foundation
import Locking
import Synchronization

/// The loop runs Swift jobs on the bus thread, between its rounds: a task that prefers it
/// (`withTaskExecutorPreference(loop)`) and waits on a continuation the loop's own handler
/// resumes goes on with no thread woken, and what it sends leaves in the same round. For tasks
/// that await and compute little (ingest's poller; a worker's handlers when the bot asks for
/// it): while a job runs the loop reads nothing and sends no heartbeat.
extension BusLoop: TaskExecutor {
    /// Queues a job for the loop; once the loop has stopped, Swift's global executor runs it
    /// (a task must not hang because the sockets closed).
    func queue(_ job: UnownedJob) {
        let (accepted, needsWake) = outbox.locked { o -> (Bool, Bool) in
            guard o.running else { return (false, false) }
            o.jobs.append(job)
            return (true, o.claimWake())
        }
        if !accepted { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
        if needsWake { wake() }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        queue(UnownedJob(job))
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Whether the caller is a Swift job the loop is running on its thread (between its jobs'
    /// start and `jobsEnd`): what it sends may be batched for `jobsEnd` to flush. A relaxed load
    /// and a compare: only the bus thread can find its own id there.
    public var runsJobsHere: Bool {
        let running = jobsThread.load(ordering: .relaxed)
        return running != 0 && running == Self.currentThread
    }

    /// The calling thread's id as a number.
    static var currentThread: UInt {
        #if canImport(Glibc)
        UInt(pthread_self())
        #else
        UInt(bitPattern: pthread_self())
        #endif
    }
}
