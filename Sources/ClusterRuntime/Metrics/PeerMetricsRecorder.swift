import BotAPI
import Foundation
import Locking
import Synchronization
import Wire

/// A worker's or the sequencer's own figures, reported to the broker about once a second as
/// METRICS: how long what it ran took (by handler, job, timer), its Bot API client's
/// statistics, and the sequencer's group commits. Cumulative since the process started.
package final class PeerMetricsRecorder: Sendable {
    private struct Recording {
        var metrics = PeerMetrics()
        /// The handlers' durations by index, folded into `metrics.durations` by label at each
        /// report: an update's job (most of a worker's) records without hashing its label (a
        /// `String` through SipHash and a lookup, ~390 instructions a job).
        var handlers: [PeerMetrics.Histogram?]
    }

    private let figures: Mutex<Recording>
    private let client: BotClient
    /// The bot's handlers' labels, by index (the table is fixed once the bot runs).
    private let handlerLabels: [String]

    init(client: BotClient, handlerLabels: [String] = []) {
        self.client = client
        self.handlerLabels = handlerLabels
        figures = Mutex(Recording(handlers: Array(repeating: nil, count: handlerLabels.count)))
    }

    /// What ran (a bounded label) took `duration`.
    func ran(_ label: String, for duration: Duration) {
        let seconds = duration.seconds
        figures.locked { f in
            f.metrics.durations[label, default: .init(buckets: PeerMetrics.durationBounds.count)].record(seconds, bounds: PeerMetrics.durationBounds)
        }
    }

    /// Handler `index` (reported under its label) took `duration`.
    func ran(handler index: Int, for duration: Duration) {
        guard index >= 0, index < handlerLabels.count else {
            return ran(JobRunner.handlerLabel(UInt16(clamping: index), handlerLabels), for: duration)
        }
        let seconds = duration.seconds
        figures.locked { f in
            if f.handlers[index] == nil { f.handlers[index] = .init(buckets: PeerMetrics.durationBounds.count) }
            f.handlers[index]!.record(seconds, bounds: PeerMetrics.durationBounds)
        }
    }

    /// The sequencer committed `size` updates in `duration`.
    func committed(size: Int, in duration: Duration) {
        let seconds = duration.seconds
        figures.locked { f in
            var sizes = f.metrics.groupSizes ?? .init(buckets: PeerMetrics.groupSizeBounds.count)
            sizes.record(Double(size), bounds: PeerMetrics.groupSizeBounds)
            f.metrics.groupSizes = sizes
            var commits = f.metrics.commitSeconds ?? .init(buckets: PeerMetrics.durationBounds.count)
            commits.record(seconds, bounds: PeerMetrics.durationBounds)
            f.metrics.commitSeconds = commits
        }
    }

    /// The report: everything so far, the client's statistics included.
    func report() -> Frame {
        var report = figures.locked { f in
            var metrics = f.metrics
            for (index, histogram) in f.handlers.enumerated() {
                guard let histogram else { continue }
                metrics.durations[handlerLabels[index], default: .init(buckets: PeerMetrics.durationBounds.count)].add(histogram)
            }
            return metrics
        }
        let client = self.client.statistics.snapshot
        report.calls = client.calls
        report.retries = client.retries
        report.tooManyRequests = client.tooManyRequests
        report.floodWaitSeconds = client.floodWaitSeconds
        return .metrics((try? JSONEncoder().encode(report)) ?? Data("{}".utf8))
    }
}
