import Atomics
import Foundation

/// The admissions of the bot's rate-limit middlewares (`RateLimit`): GCRA buckets, one 64-bit
/// word each, in a file every process of the bot on this host maps (`<data-dir>/ratelimit.shm`),
/// so that a user's limit holds however the user's updates are spread over the workers and the
/// sequencer. Unlike the flood table, a bucket here never makes anyone wait: an update over the
/// limit is refused, and the bucket is left as it was.
///
/// Keys (a middleware's name and a user or chat, hashed) map to 65,536 slots: two keys that
/// share a slot share a budget, which errs on the strict side. A worker host has a table of its
/// own. Without a file (`init()`), the table is this process's alone (the tester's).
package final class RateTable: @unchecked Sendable {
    static let slotCount = 1 << 16

    private let words: MappedWords
    private let clock: @Sendable () -> Int64

    /// Maps (creating if needed) the table at `path`.
    package convenience init(path: String) throws {
        try self.init(words: MappedWords(path: path, count: Self.slotCount), clock: FloodGate.monotonicNanoseconds)
    }

    /// A table of this process alone.
    package convenience init() {
        self.init(words: MappedWords(count: Self.slotCount), clock: FloodGate.monotonicNanoseconds)
    }

    init(words: MappedWords, clock: @escaping @Sendable () -> Int64) {
        self.words = words
        self.clock = clock
    }

    /// Whether one more update under `key` fits `rate` a second with bursts of `burst`; if it
    /// does, it is counted.
    package func admit(key: UInt64, rate: Double, burst: Double) -> Bool {
        admit(key: key, rate: rate, burst: burst, now: clock())
    }

    func admit(key: UInt64, rate: Double, burst: Double, now: Int64) -> Bool {
        guard let rule = GCRA(rate: rate, burst: burst) else { return true }
        // No admission leaves a bucket further ahead than the whole burst: a time beyond that
        // is another clock's (the file outlived a reboot, whose monotonic clock starts over)
        // or another rule's, and is not believed.
        let horizon = rule.tolerance &+ rule.interval
        let slot = words.atomic(Int(key.mixed & UInt64(Self.slotCount - 1)))
        var current = slot.load(ordering: .relaxed)
        while true {
            let r = rule.reserve(tat: current, now: now, horizon: horizon)
            guard r.wait == 0 else { return false }
            let (done, seen) = slot.compareExchange(expected: current, desired: r.tat, ordering: .relaxed)
            if done { return true }
            current = seen
        }
    }
}

extension UInt64 {
    /// splitmix64's finalizer: neighbouring keys spread over a table.
    var mixed: UInt64 {
        var z = self &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
