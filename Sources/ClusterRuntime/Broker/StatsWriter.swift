import BotAPI
import Foundation

/// Writes the broker's figures to `broker.json` about once a second, for `tgcluster status`.
struct StatsWriter {
    let file: URL
    /// The poller runs in this process (`--ingest-in-broker`).
    var polls = false
    var last: ContinuousClock.Instant?
    var lastCompleted = 0
    var rate = 0.0

    mutating func write(_ state: BrokerState, now: ContinuousClock.Instant, botAPI: @autoclosure () -> BrokerStatus.BotAPITotals? = nil) {
        if let last, now - last < .seconds(1) { return }
        let seconds = last.map { (now - $0).seconds } ?? 1
        rate = Double(state.counters.completed - lastCompleted) / max(seconds, 0.001)
        lastCompleted = state.counters.completed
        last = now
        let sorted = state.latencies.sorted()
        /// In milliseconds.
        func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))].seconds * 1000 }
        let c = state.counters
        var status = BrokerStatus(
            pid: Int(getpid()), time: Date().timeIntervalSince1970, queued: state.queued, inFlight: state.inFlight, pending: state.pending,
            accepted: c.accepted, duplicates: c.duplicates, unhandled: c.unhandled, completed: c.completed, failed: c.failed,
            requeued: c.requeued, deadLettered: c.deadLettered, busy: c.busy, updatesPerSecond: rate,
            latencyP50: pct(0.5), latencyP99: pct(0.99),
            peers: state.peerSummary.map {
                .init(id: "\($0.peer)", role: $0.role.name, pid: Int($0.pid), host: $0.host, remote: RemotePeer.isRemote($0.peer.bytes),
                      capacity: $0.capacity, inFlight: $0.inFlight)
            })
        status.botAPI = botAPI()
        if polls { status.polls = true }
        status.dispatch = state.configuration.dispatch.rawValue
        StatusFile.write(status, to: file)
    }
}
