import Foundation
import Locking

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
}
