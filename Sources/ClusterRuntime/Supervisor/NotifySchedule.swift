/// What the supervisor tells its service manager (systemd's notify protocol), decided without
/// I/O: `READY=1` once the cluster is up, `STATUS=` with its figures when they change (at most
/// once a second), `WATCHDOG=1` at half the watchdog interval, from the supervisor's own loop
/// (so a hung loop is restarted), and `STOPPING=1` when it stops.
struct NotifySchedule: Sendable {
    /// `WATCHDOG_USEC` from the service manager; nil: no watchdog.
    let watchdog: Duration?
    private(set) var ready = false
    private var lastPing: ContinuousClock.Instant?
    private var lastStatus: (text: String, at: ContinuousClock.Instant)?

    init(watchdog: Duration?) {
        self.watchdog = watchdog
    }

    /// One turn of the supervisor's loop: whether the cluster is up (its peers registered at
    /// the broker, ingest running) and its status line now. The messages to send.
    mutating func tick(now: ContinuousClock.Instant, up: Bool, status: String) -> [String] {
        var out: [String] = []
        if !ready, up {
            ready = true
            out.append("READY=1")
        }
        if lastStatus?.text != status, lastStatus.map({ now - $0.at >= .seconds(1) }) ?? true {
            lastStatus = (status, now)
            out.append("STATUS=" + status)
        }
        if let watchdog, lastPing.map({ now - $0 >= watchdog / 2 }) ?? true {
            lastPing = now
            out.append("WATCHDOG=1")
        }
        return out
    }

    /// When `tick` next has something to say if nothing changes: soon while the cluster is not
    /// up (its readiness is read from the broker's status), the watchdog's ping; nil: nothing.
    func nextDue(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        if !ready { return now + .milliseconds(50) }
        guard let watchdog else { return nil }
        return lastPing.map { $0 + watchdog / 2 } ?? now
    }

    /// The supervisor begins to stop its children.
    mutating func stopping() -> [String] {
        ["STOPPING=1", "STATUS=stopping"]
    }
}
