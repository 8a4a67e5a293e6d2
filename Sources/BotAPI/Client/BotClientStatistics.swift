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

    private let figures = Mutex(Figures())

    public init() {}

    public var snapshot: Figures { figures.locked { $0 } }

    func finished(_ method: String, outcome: String) {
        figures.locked { $0.calls[method, default: [:]][outcome, default: 0] += 1 }
    }

    func refused() {
        figures.locked { $0.tooManyRequests += 1 }
    }

    func retried() {
        figures.locked { $0.retries += 1 }
    }

    func waited(_ seconds: Double) {
        figures.locked { $0.floodWaitSeconds += seconds }
    }

    /// The outcome label of a failed call.
    static func outcome(_ error: BotAPIError) -> String {
        if error.kind == .timeout { return "timeout" }
        if error.kind == .network { return "network" }
        if error.errorCode == 429 { return "429" }
        return (error.errorCode ?? 0) >= 500 ? "5xx" : "4xx"
    }
}
