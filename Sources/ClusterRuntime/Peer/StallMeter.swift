/// Notices that a peer's bus thread stopped turning. The bus loop ticks about once per
/// heartbeat interval, so a gap of several intervals between two ticks means that nothing was
/// read or sent meanwhile, heartbeats included: a handler computing on the loop
/// (`Bot.WorkerThreads.eventLoop`), or a host that stalled. Past `liveness` intervals the broker
/// takes the peer for dead; the warning says why before that, or after it.
struct StallMeter: Sendable {
    let interval: Duration
    /// A gap of this many intervals or more is reported (one late tick is a busy round).
    let reportAfter: Int
    /// The last tick, or the loop's start: a handler that holds the loop before its first tick
    /// (a job that comes as the peer starts) is a stall too.
    private var last: ContinuousClock.Instant

    init(interval: Duration, reportAfter: Int = 2, start: ContinuousClock.Instant) {
        self.interval = interval
        self.reportAfter = reportAfter
        last = start
    }

    /// A tick at `now`: the gap since the one before, when it is long enough to report.
    mutating func tick(now: ContinuousClock.Instant) -> Duration? {
        defer { last = now }
        guard now - last >= interval * reportAfter else { return nil }
        return now - last
    }
}
