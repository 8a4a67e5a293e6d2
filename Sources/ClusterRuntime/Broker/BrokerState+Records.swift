import BotAPI
import Foundation
import Wire

/// What the broker keeps per job and per peer.
extension BrokerState {
    enum QueueKey: Hashable, Sendable {
        case key(Int64)
        case job(JobID)

        /// `TableHash`, as for `JobID`: a queue is looked up several times per update.
        func _rawHashValue(seed: Int) -> Int {
            switch self {
            case .key(let key): TableHash.hash(UInt64(bitPattern: key), seed: seed)
            case .job(let id): TableHash.hash(~id.raw, seed: seed)
            }
        }
    }

    struct JobRecord: Sendable {
        var payload: Job.Payload
        var queue: QueueKey
        var serial: Bool
        var attempts: UInt8 = 0
        var peer: PeerID?
        var submitter: (peer: PeerID, taskID: UInt64)?
        var accepted: ContinuousClock.Instant
        /// The first step of a two-step handler: its result goes on to the sequencer.
        var applies = false
        /// A serial job that holds a key of the pool's queues (a two-step handler's second
        /// step): the key's next job waits for it.
        var holdsKey = false
        /// Was in flight on a worker that died: from now on it runs alone on its worker, so
        /// that a poison job is told apart from the innocent jobs that shared its process.
        var quarantined = false
    }

    struct Peer: Sendable {
        var role: PeerRole
        var pid: UInt32
        var host = ""
        var capacity: Int
        var inFlight = Set<JobID>()
        var lastSeen: ContinuousClock.Instant
        var lastSent: ContinuousClock.Instant
        /// When it last finished a job or lent a slot, or took a job with none in flight:
        /// `.packed` dispatch passes over a worker whose jobs have not moved for `stallAfter`.
        var progressed: ContinuousClock.Instant
        var draining = false
        /// Running a quarantined job: gets nothing else meanwhile.
        var exclusive = false
        /// Kept free of new work until idle, for a waiting quarantined job (no starvation).
        var reserved = false

        var free: Int { draining || exclusive || reserved ? 0 : max(0, capacity - inFlight.count) }
        var idle: Bool { !draining && capacity > 0 && inFlight.isEmpty }
        func stalled(at now: ContinuousClock.Instant, after patience: Duration) -> Bool {
            !inFlight.isEmpty && now - progressed >= patience
        }
    }
}

extension Dictionary {
    /// The value at `i`, in place. Reading a field as `values[i].field` goes through the
    /// getter, which copies the whole value first: for a `JobRecord`, its payload and peers
    /// retained and released again, ~300 instructions a read in the broker's count.
    @inline(__always)
    mutating func inPlace<R>(_ i: Index, _ body: (inout Value) -> R) -> R {
        body(&values[i])
    }
}
