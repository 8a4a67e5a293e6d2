import Locking
import Synchronization

/// What a `BotClient` has done since it was made, for the cluster's metrics: calls by method
/// and final outcome, retries, and the time spent waiting for the flood limits. A lock per
/// call: small next to the call itself.
public final class BotClientStatistics: Sendable {
    public struct Figures: Sendable, Equatable {
        /// Method → outcome (`ok`, `429`, `4xx`, `5xx`, `network`, `timeout`) → calls.
        public var calls: [String: [String: Int]] = [:]
        public var retries = 0
        /// 429 answers received, retried ones included.
        public var tooManyRequests = 0
        public var floodWaitSeconds = 0.0
    }

    /// Calls by method and outcome are counted in a list, not in `Figures.calls` (two string
    /// hashes under the lock per call, ~550 instructions per reply): a bot uses a few methods
    /// and outcomes, the one counted last is looked at first, and the table is built only
    /// when `snapshot` is read (once a second, by the metrics).
    private struct Counts {
        var figures = Figures()
        var calls: [(method: String, outcome: String, count: Int)] = []
        var last = 0
    }

    private let counts = Mutex(Counts())

    public init() {}

    public var snapshot: Figures {
        counts.locked { c in
            var figures = c.figures
            for entry in c.calls { figures.calls[entry.method, default: [:]][entry.outcome] = entry.count }
            return figures
        }
    }

    func finished(_ method: String, outcome: String) {
        counts.locked { c in
            if c.last < c.calls.count, c.calls[c.last].method == method, c.calls[c.last].outcome == outcome {
                c.calls[c.last].count += 1
            } else if let i = c.calls.firstIndex(where: { $0.method == method && $0.outcome == outcome }) {
                c.calls[i].count += 1
                c.last = i
            } else {
                c.calls.append((method, outcome, 1))
                c.last = c.calls.count - 1
            }
        }
    }

    func refused() {
        counts.locked { $0.figures.tooManyRequests += 1 }
    }

    func retried() {
        counts.locked { $0.figures.retries += 1 }
    }

    func waited(_ seconds: Double) {
        counts.locked { $0.figures.floodWaitSeconds += seconds }
    }

    /// The outcome label of a failed call.
    static func outcome(_ error: BotAPIError) -> String {
        if error.kind == .timeout { return "timeout" }
        if error.kind == .network { return "network" }
        if error.errorCode == 429 { return "429" }
        return (error.errorCode ?? 0) >= 500 ? "5xx" : "4xx"
    }
}
