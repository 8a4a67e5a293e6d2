import DequeModule
import Wire

/// What a worker can tell a new broker (HANDOVER): the update jobs it runs, and the updates it
/// finished lately. A broker killed mid-run loses the DONE reports in flight to it; the new
/// one learns from this which of the updates it recovered not to run again (see `Handover`).
///
/// Bounded: the newest `finishedWindow` finished updates, far more than the few milliseconds
/// of DONE reports a broker can lose, and the jobs in flight, which the capacity bounds.
struct WorkerLedger: Sendable {
    static let finishedWindow = 4096

    private(set) var running: [JobID: Int64] = [:]
    private(set) var finished = Deque<Int64>()

    /// Job `jobID` runs here: an update's (`updateID`, `Job.updateID`) is accounted for, other
    /// jobs are not updates (nil).
    mutating func started(_ jobID: UInt64, updateID: Int64?) {
        if let updateID { running[JobID(jobID)] = updateID }
    }

    /// The job is done here; its update finished unless its result was `passedOn` to a second
    /// step (a two-step handler's), which a new broker must still run.
    mutating func finished(_ jobID: UInt64, passedOn: Bool = false) {
        guard let updateID = running.removeValue(forKey: JobID(jobID)), !passedOn else { return }
        finished.append(updateID)
        if finished.count > Self.finishedWindow { finished.removeFirst() }
    }

    /// The account to give, if there is anything to account for.
    var handover: Handover? {
        guard !running.isEmpty || !finished.isEmpty else { return nil }
        return Handover(running: running.sorted { $0.key < $1.key }.map { Handover.Running(jobID: $0.key.raw, updateID: $0.value) },
                        finished: Array(finished))
    }
}
