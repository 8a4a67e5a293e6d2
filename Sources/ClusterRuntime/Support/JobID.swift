import BotAPI

/// A job's number as the runtime's tables key it: the broker's `jobs`, each peer's jobs in
/// flight and the queues; a worker's jobs running (its watchdog's, its ledger's). The wire
/// carries the bare `UInt64` (`Job.id`, DONE); this type exists for its hash (`TableHash`, not
/// SipHash: see there).
struct JobID: Hashable, Comparable, Sendable {
    let raw: UInt64

    init(_ raw: UInt64) { self.raw = raw }

    static func < (a: JobID, b: JobID) -> Bool { a.raw < b.raw }

    func hash(into hasher: inout Hasher) { hasher.combine(raw) }

    func _rawHashValue(seed: Int) -> Int { TableHash.hash(raw, seed: seed) }
}
