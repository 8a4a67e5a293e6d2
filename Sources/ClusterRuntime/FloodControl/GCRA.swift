/// The generic cell rate algorithm: a token bucket kept as one number, the theoretical arrival
/// time (TAT) of the next message, so that a bucket shared by processes is a single 64-bit word
/// updated by compare-and-swap.
///
/// Pure: times are nanoseconds on one monotonic clock, passed in.
struct GCRA: Sendable, Equatable {
    /// Nanoseconds per message at the sustained rate.
    var interval: Int64
    /// How far ahead of now the TAT may run before a message must wait: `(burst - 1) × interval`.
    var tolerance: Int64

    /// `rate` messages per second, `burst` of them at once; nil when `rate` is not positive.
    init?(rate: Double, burst: Double) {
        guard rate > 0, rate.isFinite else { return nil }
        interval = Int64((1e9 / rate).rounded(.up))
        tolerance = Int64(max(0, burst.rounded(.down) - 1)) * interval
    }

    /// Reserves the next slot: the new TAT to store and how long the caller waits before
    /// sending. A TAT beyond `now + horizon` is not believed (a file from another layout,
    /// a clock that went back) and starts over from `now`.
    func reserve(tat stored: Int64, now: Int64, horizon: Int64) -> (tat: Int64, wait: Int64) {
        let tat = stored > now &+ horizon ? now : stored
        let start = max(tat, now)
        return (start &+ interval, max(0, start &- tolerance &- now))
    }

    /// The TAT after Telegram said "retry after `delay`": the next reservation waits at least
    /// until `now + delay`.
    func penalize(tat stored: Int64, now: Int64, delay: Int64) -> Int64 {
        max(stored, now &+ delay &+ tolerance)
    }
}
