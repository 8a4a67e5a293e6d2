import Foundation

/// What a worker or the sequencer reports to the broker about itself (METRICS, about once a
/// second): cumulative figures since the process started, so that a lost report loses nothing
/// and the broker, which serves the one scrape target of the cluster, adds the differences.
/// JSON inside the frame: it is small and rare, and stays readable in a capture of the wire.
public struct PeerMetrics: Codable, Sendable, Equatable {
    /// Bot API calls by method, then by outcome (`ok`, `429`, `4xx`, `5xx`, `network`, `timeout`).
    public var calls: [String: [String: Int]] = [:]
    /// Calls tried again after a transient failure.
    public var retries = 0
    /// 429 answers received (retried ones included).
    public var tooManyRequests = 0
    /// Seconds spent waiting for the shared flood limits before sending.
    public var floodWaitSeconds = 0.0
    /// Handler (and job, timer, deferred call) durations by what ran: the handler's label, or
    /// `job:<name>`, `timer:<name>`, `call`; a set fixed by the bot, never a chat.
    public var durations: [String: Histogram] = [:]
    /// The sequencer's group commits: updates per group, and the commit's duration.
    public var groupSizes: Histogram?
    public var commitSeconds: Histogram?

    public init() {}

    /// Counts and sums per bucket (not cumulative): `counts[i]` observations at most
    /// `bounds[i]`, the last one above every bound. Per-bucket sums let the broker replay the
    /// observations into its histogram with the exact total.
    public struct Histogram: Codable, Sendable, Equatable {
        public var counts: [Int]
        public var sums: [Double]

        public init(buckets: Int) {
            counts = Array(repeating: 0, count: buckets + 1)
            sums = Array(repeating: 0, count: buckets + 1)
        }

        /// Adds `other`'s observations (the same bounds).
        public mutating func add(_ other: Histogram) {
            for i in counts.indices where i < other.counts.count {
                counts[i] += other.counts[i]
                sums[i] += other.sums[i]
            }
        }

        public mutating func record(_ value: Double, bounds: [Double]) {
            var i = 0
            while i < bounds.count, value > bounds[i] { i += 1 }
            counts[i] += 1
            sums[i] += value
        }
    }

    /// Bucket bounds of durations, in seconds (handlers, commits).
    public static let durationBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    /// Bucket bounds of group sizes, in updates.
    public static let groupSizeBounds: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
}
