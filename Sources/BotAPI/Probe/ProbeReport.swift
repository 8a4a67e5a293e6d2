import Foundation

/// What `Probe` measured: per phase, min / median / p95 / max in milliseconds, and a verdict
/// against the guide's rule of thumb (≤ 50 ms is a good connection, ≤ 15 ms is as close as
/// Central Europe gets).
public struct ProbeReport: Sendable, Codable, Equatable {
    public struct Stats: Sendable, Codable, Equatable {
        public var min: Double
        public var median: Double
        public var p95: Double
        public var max: Double

        /// Nearest-rank statistics of `values` (milliseconds).
        public init(_ values: [Double]) {
            let sorted = values.sorted()
            func rank(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
                return sorted[Swift.min(Swift.max(index, 0), sorted.count - 1)]
            }
            min = sorted.first ?? 0
            median = rank(0.5)
            p95 = rank(0.95)
            max = sorted.last ?? 0
        }
    }

    public struct Phase: Sendable, Codable, Equatable {
        /// `name_lookup`, `connect`, `tls_handshake`, `pretransfer`, `start_transfer`, `total`.
        public var name: String
        public var milliseconds: Stats
    }

    public enum Verdict: String, Sendable, Codable {
        case excellent, good, slow
    }

    public var apiURL: String
    public var method: String
    public var count: Int
    public var freshConnections: Bool
    public var phases: [Phase]
    public var verdict: Verdict
    public var verdictText: String

    public init(apiURL: String, method: String, freshConnections: Bool, samples: [TransferMetrics]) {
        self.apiURL = apiURL
        self.method = method
        self.count = samples.count
        self.freshConnections = freshConnections
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        let columns: [(String, KeyPath<TransferMetrics, Duration>)] = [
            ("name_lookup", \.nameLookup), ("connect", \.connect), ("tls_handshake", \.appConnect),
            ("pretransfer", \.preTransfer), ("start_transfer", \.startTransfer), ("total", \.total),
        ]
        phases = columns.map { name, path in Phase(name: name, milliseconds: Stats(samples.map { ms($0[keyPath: path]) })) }
        (verdict, verdictText) = Self.judge(medianMilliseconds: phases.last!.milliseconds.median)
    }

    /// The guide's rule of thumb for the median total time of a call.
    public static func judge(medianMilliseconds median: Double) -> (Verdict, String) {
        let shown = (median * 10).rounded() / 10
        switch median {
        case ...15:
            return (.excellent, "excellent: median \(shown) ms, as close as Central Europe (≤ 15 ms)")
        case ...50:
            return (.good, "good: median \(shown) ms (≤ 50 ms)")
        default:
            return (.slow, "slow: median \(shown) ms (> 50 ms); run the bot on a server closer to the Bot API, or use webhooks")
        }
    }

    /// The table `tgcluster probe` prints.
    public func rendered() -> String {
        var lines = ["probe: \(count) × \(method) at \(apiURL) (\(freshConnections ? "new connection each" : "kept-alive connection"))"]
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        lines.append(pad("phase (ms)", 16) + ["min", "median", "p95", "max"].map { lpad($0, 10) }.joined())
        for phase in phases {
            let s = phase.milliseconds
            lines.append(pad(phase.name.replacingOccurrences(of: "_", with: " "), 16)
                         + [s.min, s.median, s.p95, s.max].map { lpad(f($0), 10) }.joined())
        }
        lines.append("verdict: \(verdictText)")
        return lines.joined(separator: "\n")
    }
}
