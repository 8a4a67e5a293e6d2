import Foundation

/// The broker's figures, written to `<data-dir>/broker.json` about once a second and shown
/// by `tgcluster status` (through the supervisor's control endpoint).
package struct BrokerStatus: Codable, Sendable, Equatable {
    /// One worker or sequencer as the broker sees it.
    package struct Peer: Codable, Sendable, Equatable {
        package var id: String
        package var role: String
        package var pid: Int
        /// The host the peer names (`--host`); "" from brokers before protocol 5.
        package var host: String
        /// Connected over `--remote-workers` (another host) rather than the local endpoint.
        package var remote: Bool
        package var capacity: Int
        package var inFlight: Int

        enum CodingKeys: String, CodingKey {
            case id, role, pid, host, remote, capacity
            case inFlight = "in_flight"
        }

        package init(id: String, role: String, pid: Int, host: String = "", remote: Bool = false, capacity: Int, inFlight: Int) {
            self.id = id
            self.role = role
            self.pid = pid
            self.host = host
            self.remote = remote
            self.capacity = capacity
            self.inFlight = inFlight
        }

        /// `pid` is absent in files of protocol 2 brokers (read by the benchmark's baseline).
        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            role = try c.decode(String.self, forKey: .role)
            pid = try c.decodeIfPresent(Int.self, forKey: .pid) ?? 0
            host = try c.decodeIfPresent(String.self, forKey: .host) ?? ""
            remote = try c.decodeIfPresent(Bool.self, forKey: .remote) ?? false
            capacity = try c.decode(Int.self, forKey: .capacity)
            inFlight = try c.decode(Int.self, forKey: .inFlight)
        }
    }

    package var pid: Int
    /// Unix seconds.
    package var time: Double
    package var queued: Int
    package var inFlight: Int
    package var pending: Int
    package var accepted: Int
    package var duplicates: Int
    package var unhandled: Int
    package var completed: Int
    package var failed: Int
    package var requeued: Int
    package var deadLettered: Int
    package var busy: Int
    package var updatesPerSecond: Double
    package var latencyP50: Double
    package var latencyP99: Double
    package var peers: [Peer]
    /// The Bot API as the live workers and the sequencer report it (absent before any report).
    package var botAPI: BotAPITotals? = nil
    /// True when this process long-polls too (`run --ingest-in-broker`): no ingest process runs.
    package var polls: Bool? = nil
    /// Which worker gets a job (`--dispatch`: packed, spread); absent before 7 Dec.
    package var dispatch: String? = nil

    /// Sums of the peers' METRICS reports, for `tgcluster status`.
    package struct BotAPITotals: Codable, Sendable, Equatable {
        package var calls = 0
        package var failed = 0
        package var tooManyRequests = 0
        package var floodWaitSeconds = 0.0

        enum CodingKeys: String, CodingKey {
            case calls, failed
            case tooManyRequests = "too_many_requests"
            case floodWaitSeconds = "flood_wait_seconds"
        }
    }

    enum CodingKeys: String, CodingKey {
        case pid, time, queued, pending, accepted, duplicates, unhandled, completed, failed, requeued, busy, peers
        case inFlight = "in_flight"
        case deadLettered = "dead_lettered"
        case updatesPerSecond = "updates_per_second"
        case latencyP50 = "latency_ms_p50"
        case latencyP99 = "latency_ms_p99"
        case botAPI = "bot_api"
        case polls, dispatch
    }

    /// The status file of a data dir; nil when there is none (yet) or it does not parse.
    package static func read(dataDir: String) -> BrokerStatus? {
        StatusFile.read(BrokerStatus.self, from: URL(fileURLWithPath: dataDir).appendingPathComponent("broker.json"))
    }
}
