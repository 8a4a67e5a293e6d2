/// A worker's account to a broker that may be new (sent after READY when the broker forgot
/// it): the update jobs it still runs, under the ids the old broker gave them, and the updates
/// it finished lately.
///
/// A broker killed mid-run loses the DONE reports in flight to it, so the new one finds their
/// updates unfinished in the journal and would run them again: a second reply. With the
/// account, it drops the finished ones and adopts the running ones (their DONE comes under the
/// old id), before it dispatches what it recovered (see `BrokerState.recover`).
public struct Handover: Sendable, Equatable {
    public struct Running: Sendable, Equatable {
        public var jobID: UInt64
        public var updateID: Int64

        public init(jobID: UInt64, updateID: Int64) {
            self.jobID = jobID
            self.updateID = updateID
        }
    }

    public var running: [Running]
    /// Newest last; a bounded window (`WorkerLedger.finishedWindow`).
    public var finished: [Int64]

    public init(running: [Running], finished: [Int64]) {
        self.running = running
        self.finished = finished
    }

    package func encode(into w: inout ByteWriter) {
        w.u32(UInt32(running.count))
        for job in running {
            w.u64(job.jobID)
            w.i64(job.updateID)
        }
        w.u32(UInt32(finished.count))
        for id in finished { w.i64(id) }
    }

    /// Counts are checked against the bytes left before anything is allocated.
    package init(decoding r: inout ByteReader) throws(FrameError) {
        let runningCount = Int(try r.u32())
        guard runningCount <= (r.data.endIndex - r.offset) / 16 else { throw FrameError("a handover longer than its frame") }
        running = []
        running.reserveCapacity(runningCount)
        for _ in 0..<runningCount { running.append(Running(jobID: try r.u64(), updateID: try r.i64())) }
        let finishedCount = Int(try r.u32())
        guard finishedCount <= (r.data.endIndex - r.offset) / 8 else { throw FrameError("a handover longer than its frame") }
        finished = []
        finished.reserveCapacity(finishedCount)
        for _ in 0..<finishedCount { finished.append(try r.i64()) }
    }
}
