import Foundation
import Prometheus
import Locking
import Synchronization
import Wire

/// The cluster's metrics, served by the broker (one scrape target per cluster), on
/// swift-prometheus: the broker's own figures, taken from its state on each tick, and what
/// the workers and the sequencer report (METRICS), added as differences. Names carry the
/// `tgcluster_` prefix and base units; counters end in `_total`; labels are bounded (a method,
/// an outcome, a handler, a role), never a chat.
package final class ClusterMetrics: Sendable {
    /// The broker's figures at one tick.
    package struct BrokerFigures: Sendable {
        package var counters: BrokerState.Counters
        package var ready: Int
        package var inFlight: Int
        package var oldestPendingSeconds: Double
        package var workers: Int
        package var journalBytes: Int
        /// Restarts per role, as the supervisor counts them.
        package var restarts: [String: Int]
    }

    let registry = PrometheusCollectorRegistry()
    private let last = Mutex<(counters: BrokerState.Counters, restarts: [String: Int])>((.init(), [:]))
    /// Each peer's last report, to add only what changed.
    private let reports = Mutex<[Data: PeerMetrics]>([:])
    private let fsync: ValueHistogram

    package init() {
        fsync = registry.makeValueHistogram(
            descriptor: Self.named("tgcluster_journal_fsync_duration_seconds", "Duration of the journal's group fsync, which every acknowledgement waits for."),
            labels: [], buckets: PeerMetrics.durationBounds)
    }

    /// The exposition, Prometheus text format 0.0.4.
    package func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    /// A journal fsync took `seconds` (from the journal's thread).
    package func fsynced(_ seconds: Double) {
        fsync.record(seconds)
    }

    // MARK: - The broker's own figures

    package func observe(_ f: BrokerFigures) {
        let (before, restartsBefore) = last.locked { l in
            defer { l = (f.counters, f.restarts) }
            return l
        }
        let c = f.counters, b = before
        add("tgcluster_updates_received_total", "Updates ingest handed to the broker (fresh, duplicate, unhandled or malformed).",
            (c.accepted + c.duplicates + c.unhandled + c.malformed) - (b.accepted + b.duplicates + b.unhandled + b.malformed))
        add("tgcluster_updates_acknowledged_total", "Updates the broker acknowledged to ingest after the journal's fsync.",
            (c.accepted + c.duplicates + c.unhandled) - (b.accepted + b.duplicates + b.unhandled))
        add("tgcluster_updates_duplicate_total", "Updates dropped as seen before.", c.duplicates - b.duplicates)
        add("tgcluster_updates_unhandled_total", "Updates no handler takes.", c.unhandled - b.unhandled)
        add("tgcluster_updates_completed_total", "Updates whose handler finished.", c.updatesCompleted - b.updatesCompleted)
        add("tgcluster_updates_failed_total", "Updates whose handler threw.", c.updatesFailed - b.updatesFailed)
        add("tgcluster_jobs_completed_total", "Jobs of every kind finished (updates, jobs, outbox rows, timers).", c.completed - b.completed)
        add("tgcluster_jobs_failed_total", "Jobs of every kind that failed.", c.failed - b.failed)
        add("tgcluster_jobs_requeued_total", "Jobs handed out again after their worker was lost.", c.requeued - b.requeued)
        add("tgcluster_jobs_dead_lettered_total", "Jobs given up after their attempts (poison).", c.deadLettered - b.deadLettered)
        add("tgcluster_intake_refused_batches_total", "Batches refused as too much (BUSY); ingest keeps them.", c.busy - b.busy)
        add("tgcluster_poll_holds_total", "Full getUpdates pages whose work waited for ingest's next poll (POLLING).",
            c.pollHolds - b.pollHolds)
        add("tgcluster_poll_holds_expired_total", "Holds ended by their limit: POLLING did not come (ingest stopped between ACK and poll).",
            c.pollHoldsExpired - b.pollHoldsExpired)
        gauge("tgcluster_jobs_ready", "Jobs waiting for a worker.", Double(f.ready))
        gauge("tgcluster_jobs_in_flight", "Jobs running on workers and the sequencer.", Double(f.inFlight))
        gauge("tgcluster_oldest_pending_update_age_seconds", "Age of the oldest update not yet finished.", f.oldestPendingSeconds)
        gauge("tgcluster_workers_connected", "Workers registered at the broker.", Double(f.workers))
        gauge("tgcluster_journal_bytes", "Bytes of the update journal on disk.", Double(f.journalBytes))
        for (role, count) in f.restarts {
            let delta = count - (restartsBefore[role] ?? 0)
            add("tgcluster_restarts_total", "Processes the supervisor restarted, by role.", delta, labels: [("role", role)])
        }
    }

    // MARK: - What the peers report

    /// A METRICS report from `peer`; a report that does not parse is dropped.
    package func absorb(_ data: Data, from peer: Data) {
        guard let now = try? JSONDecoder().decode(PeerMetrics.self, from: data) else { return }
        let before = reports.locked { r in
            defer { r[peer] = now }
            return r[peer] ?? PeerMetrics()
        }
        for (method, outcomes) in now.calls {
            for (outcome, count) in outcomes {
                add("tgcluster_botapi_calls_total", "Bot API calls by method and final outcome.",
                    count - (before.calls[method]?[outcome] ?? 0), labels: [("method", method), ("outcome", outcome)])
            }
        }
        add("tgcluster_botapi_retries_total", "Bot API calls tried again after a transient failure.", now.retries - before.retries)
        add("tgcluster_botapi_429_total", "429 answers from the Bot API (retried ones included).", now.tooManyRequests - before.tooManyRequests)
        let waited = now.floodWaitSeconds - before.floodWaitSeconds
        if waited > 0 {
            registry.makeCounter(descriptor: Self.named("tgcluster_flood_wait_seconds_total", "Seconds calls waited for the shared flood limits."),
                                 labels: []).increment(by: waited)
        }
        for (label, histogram) in now.durations {
            replay(histogram, minus: before.durations[label], into: registry.makeValueHistogram(
                descriptor: Self.named("tgcluster_handler_duration_seconds", "Duration of handlers, jobs, timers and deferred calls, by what ran."),
                labels: [("handler", label)], buckets: PeerMetrics.durationBounds), bounds: PeerMetrics.durationBounds)
        }
        if let sizes = now.groupSizes {
            replay(sizes, minus: before.groupSizes, into: registry.makeValueHistogram(
                descriptor: Self.named("tgcluster_sequencer_group_size", "Serial updates committed together."),
                labels: [], buckets: PeerMetrics.groupSizeBounds), bounds: PeerMetrics.groupSizeBounds)
        }
        if let commits = now.commitSeconds {
            replay(commits, minus: before.commitSeconds, into: registry.makeValueHistogram(
                descriptor: Self.named("tgcluster_sequencer_commit_duration_seconds", "Duration of a group commit, handlers and fsync included."),
                labels: [], buckets: PeerMetrics.durationBounds), bounds: PeerMetrics.durationBounds)
        }
    }

    /// The live peers' reports summed: Bot API calls, failures, 429s and flood waits so far.
    package func peerTotals() -> BrokerStatus.BotAPITotals? {
        let all = reports.locked { Array($0.values) }
        guard !all.isEmpty else { return nil }
        var t = BrokerStatus.BotAPITotals()
        for r in all {
            for outcomes in r.calls.values {
                for (outcome, n) in outcomes {
                    t.calls += n
                    if outcome != "ok" { t.failed += n }
                }
            }
            t.tooManyRequests += r.tooManyRequests
            t.floodWaitSeconds += r.floodWaitSeconds
        }
        return t
    }

    /// A peer is gone: its figures stay counted; a new process reports afresh.
    package func forget(_ peer: Data) {
        reports.locked { _ = $0.removeValue(forKey: peer) }
    }

    /// Records each new observation of a bucket at the bucket's mean: the buckets and the sum
    /// come out exact.
    private func replay(_ now: PeerMetrics.Histogram, minus before: PeerMetrics.Histogram?, into histogram: ValueHistogram, bounds: [Double]) {
        for i in now.counts.indices {
            let count = now.counts[i] - (before?.counts[i] ?? 0)
            guard count > 0 else { continue }
            let mean = (now.sums[i] - (before?.sums[i] ?? 0)) / Double(count)
            for _ in 0..<count { histogram.record(mean) }
        }
    }

    private func add(_ name: String, _ help: String, _ delta: Int, labels: [(String, String)] = []) {
        let counter = registry.makeCounter(descriptor: Self.named(name, help), labels: labels)
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }

    private func gauge(_ name: String, _ help: String, _ value: Double) {
        registry.makeGauge(descriptor: Self.named(name, help), labels: []).set(value)
    }

    /// A whole name of this file's as swift-prometheus's descriptor (which its name-and-help
    /// calls gave way to): the `tgcluster` prefix its namespace, a base unit or `total` at the
    /// end its unit. The descriptor joins them back into the same name, so the series keep theirs.
    private static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        let namespace = "tgcluster"
        precondition(name.hasPrefix(namespace + "_"), "a cluster metric starts with tgcluster_")
        let rest = String(name.dropFirst(namespace.count + 1))
        guard let unit = ["total", "seconds", "bytes"].first(where: { rest.hasSuffix("_" + $0) }) else {
            return MetricNameDescriptor(namespace: namespace, metricName: rest, unitName: "", helpText: help)
        }
        return MetricNameDescriptor(namespace: namespace, metricName: String(rest.dropLast(unit.count + 1)), unitName: unit, helpText: help)
    }
}
