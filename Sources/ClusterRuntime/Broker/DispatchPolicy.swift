/// How the broker hands pool jobs to workers that all have free slots (`--dispatch`,
/// `TGCLUSTER_DISPATCH`).
///
/// Either way no worker gets more than its credit, a chat's jobs keep their order and a
/// quarantined job runs alone; the policies differ only in which worker a job goes to.
package enum DispatchPolicy: String, Sendable, CaseIterable {
    /// To the first worker (in the order they said READY) that has a free slot and is making
    /// progress; the next one only when it is full or stalled. A worker's jobs wait on the
    /// network together, so one wake-up of one process serves several of them: four workers
    /// cost about what one does until the load needs more (`scripts/bench cluster
    /// --baseline`, against the build that spread: CPU per update 0.79× at 0 ms and 0.80× at
    /// 50 ms with 256 handlers per worker, 0.85× and 0.90× with 64). Like a scheduler's
    /// "binpack". A worker with jobs in flight that has finished none (and lent no slot) for
    /// `BrokerState.Configuration.stallAfter` is passed over while another has a free slot: a
    /// handler computing on its thread does not hold up the chats that come after it.
    case packed
    /// Each job to the next worker in turn: every worker wakes for a share of every batch.
    /// A chat's consecutive jobs go to different workers (the remote-hosts flood test).
    case spread
}
