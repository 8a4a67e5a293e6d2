import Wire

/// The batches an ingest link has handed to the broker and not yet heard back on, kept under
/// the link's lock: batch ids taken in order, one waiting poller or webhook request per batch,
/// each resumed exactly once — by the broker's answer, by its deadline, or when the link closes
/// (a batch handed over after that is refused, not left waiting for an answer that cannot
/// come). It hands back the continuations to resume instead of resuming them, so that none is
/// resumed under the lock. Shared by `BrokerLink` (over ZeroMQ; deadlines seen on its bus's
/// tick) and `LocalIngestLink` (in the broker's process; no deadline: the call is the handover).
struct BatchWaiters {
    typealias Waiter = CheckedContinuation<Frame?, Never>

    private var lastID: UInt64 = 0
    private var waiting: [UInt64: (waiter: Waiter, deadline: ContinuousClock.Instant?)] = [:]

    /// Once true, `wait` refuses every batch.
    private(set) var isClosed = false

    /// The next batch's id: 1, 2, 3, … for the link's life.
    mutating func takeID() -> UInt64 {
        lastID += 1
        return lastID
    }

    /// Keeps `waiter` for `batch` until its answer, or `deadline` if given; false once the link
    /// has closed (the caller answers it nil).
    mutating func wait(_ batch: UInt64, _ waiter: Waiter, until deadline: ContinuousClock.Instant? = nil) -> Bool {
        guard !isClosed else { return false }
        waiting[batch] = (waiter, deadline)
        return true
    }

    /// The waiter of `batch`, which the broker has answered; nil if none waits (answered
    /// already, expired, or never handed over).
    mutating func answer(_ batch: UInt64) -> Waiter? {
        waiting.removeValue(forKey: batch)?.waiter
    }

    /// The waiters whose deadline has come by `now`, no longer kept.
    mutating func expire(now: ContinuousClock.Instant) -> [Waiter] {
        guard waiting.values.contains(where: { $0.deadline.map { $0 <= now } ?? false }) else { return [] }
        var expired: [Waiter] = []
        for (batch, entry) in waiting {
            guard let deadline = entry.deadline, deadline <= now else { continue }
            waiting.removeValue(forKey: batch)
            expired.append(entry.waiter)
        }
        return expired
    }

    /// Closes the table: every waiter still kept, none kept or taken after.
    mutating func close() -> [Waiter] {
        isClosed = true
        defer { waiting.removeAll() }
        return waiting.values.map(\.waiter)
    }
}
