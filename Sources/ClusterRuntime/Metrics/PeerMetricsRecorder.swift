import BotAPI
import Foundation
import Locking
import Synchronization
import Wire

/// A worker's or the sequencer's own figures, reported to the broker about once a second as
/// METRICS: how long what it ran took (by handler, job, timer), its Bot API client's
/// statistics, and the sequencer's group commits. Cumulative since the process started.
package final class PeerMetricsRecorder: Sendable {
    private let figures = Mutex(PeerMetrics())
    private let client: BotClient

    init(client: BotClient) {
        self.client = client
    }

    /// What ran (a bounded label) took `duration`.
    func ran(_ label: String, for duration: Duration) {
        let seconds = duration.seconds
        figures.locked { f in
            f.durations[label, default: .init(buckets: PeerMetrics.durationBounds.count)].record(seconds, bounds: PeerMetrics.durationBounds)
        }
    }

    /// The sequencer committed `size` updates in `duration`.
    func committed(size: Int, in duration: Duration) {
        let seconds = duration.seconds
        figures.locked { f in
            var sizes = f.groupSizes ?? .init(buckets: PeerMetrics.groupSizeBounds.count)
            sizes.record(Double(size), bounds: PeerMetrics.groupSizeBounds)
            f.groupSizes = sizes
            var commits = f.commitSeconds ?? .init(buckets: PeerMetrics.durationBounds.count)
            commits.record(seconds, bounds: PeerMetrics.durationBounds)
            f.commitSeconds = commits
        }
    }

    /// The report: everything so far, the client's statistics included.
    func report() -> Frame {
        var report = figures.locked { $0 }
        let client = self.client.statistics.snapshot
        report.calls = client.calls
        report.retries = client.retries
        report.tooManyRequests = client.tooManyRequests
        report.floodWaitSeconds = client.floodWaitSeconds
        return .metrics((try? JSONEncoder().encode(report)) ?? Data("{}".utf8))
    }
}
