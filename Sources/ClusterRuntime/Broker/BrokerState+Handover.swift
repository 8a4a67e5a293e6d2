import DequeModule
import Foundation
import Wire

/// A new broker and the workers of the one before it (issue 17): what a worker's HANDOVER
/// does to the updates recovered from the journal, while dispatching waits for it.
extension BrokerState {
    /// The wait lasts `handoverWait` from the first event after the recovery (not from the
    /// recovery itself: the workers' messages wait in the socket while a long journal is read).
    enum HandoverWait: Sendable, Equatable {
        /// No event yet since the recovery.
        case pending
        case until(ContinuousClock.Instant)
    }

    /// Finished updates are completed without running again; running ones are adopted under
    /// the old broker's job id (their DONE comes under it), so they are neither run twice nor
    /// overtaken by their chat's next update. What no worker accounts for runs again when the
    /// wait ends, as before. After the wait, a HANDOVER changes nothing.
    mutating func take(_ handover: Handover, from peer: PeerID, now: ContinuousClock.Instant) -> [Action] {
        guard waitingForHandover != nil, peers[peer]?.role == .worker else { return [] }
        var actions: [Action] = []
        for updateID in handover.finished {
            guard let id = recovered[updateID], let job = jobs[id], job.peer == nil else { continue }
            recovered[updateID] = nil
            unqueue(id, job)
            jobs[id] = nil
            counters.completed += 1
            counters.updatesCompleted += 1
            counters.handedOverFinished += 1
            actions.append(.completed(updateID: updateID))
        }
        for running in handover.running {
            let adopted = JobID(running.jobID)
            guard jobs[adopted] == nil, let id = recovered[running.updateID], var job = jobs[id], job.peer == nil else { continue }
            recovered[running.updateID] = nil
            unqueue(id, job)
            jobs[id] = nil
            job.attempts = 1
            job.peer = peer
            jobs[adopted] = job
            peers[peer]!.inFlight.insert(adopted)
            counters.handedOverRunning += 1
            // Its key now has a job in flight: the key's next job waits for this one's DONE.
            if queues[job.queue] == nil { queues[job.queue] = [] }
            ready.removeAll { $0 == job.queue }
        }
        return actions
    }

    /// Takes a job that was never dispatched out of its key's queue (the key stays, empty, if
    /// it is in `ready`; dispatch drops it there).
    mutating func unqueue(_ id: JobID, _ job: JobRecord) {
        queues[job.queue]?.removeAll { $0 == id }
    }
}
