import Foundation
import Logging
import Locking
import Synchronization
import Wire

/// The broker's side of the metrics: the scrape target (`--metrics-listen`), the figures taken
/// from its state once a second, the peers' reports, and the health `/healthz` answers.
/// Everything but `serve` and `stop` is called from the broker's loop; the server reads under
/// locks.
final class BrokerTelemetry: Sendable {
    let metrics = ClusterMetrics()
    private let configuration: ClusterConfiguration
    private let logger: Logger
    private let server = Mutex<MetricsServer?>(nil)
    /// Why the cluster cannot take work now; nil when it can.
    private let unhealthy = Mutex<String?>("starting")
    private let seen = Mutex<(ingest: ContinuousClock.Instant?, lastObserved: ContinuousClock.Instant?, journalFailing: Bool)>((nil, nil, false))

    init(configuration: ClusterConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts the scrape target, if one is configured; a port that cannot be bound is a boot error.
    func serve() async throws {
        guard let listen = configuration.metricsListen, let (host, port) = HostPort.parse(listen) else { return }
        do {
            let s = try await MetricsServer(host: host, port: port, metrics: metrics) { [self] in unhealthy.locked { $0 } }
            server.locked { $0 = s }
            logger.info("metrics listening", metadata: ["listen": "\(host):\(s.port)", "paths": "/metrics /healthz"])
        } catch {
            throw RoleError.cannotListen("--metrics-listen \(listen): \(error)")
        }
    }

    func stop() async {
        await server.locked { s in defer { s = nil }; return s }?.shutdown()
    }

    /// Ingest said something (a batch, or its heartbeat between batches).
    func heardFromIngest(_ now: ContinuousClock.Instant) {
        seen.locked { $0.ingest = now }
    }

    /// The journal could (not) take the last batch.
    func journal(failing: Bool) {
        seen.locked { $0.journalFailing = failing }
    }

    /// A tick of the broker's loop: health now, and the figures once a second.
    func tick(_ state: BrokerState, now: ContinuousClock.Instant) {
        // Health and figures are only read through the scrape target.
        guard configuration.metricsListen != nil else { return }
        let (ingest, lastObserved, journalFailing) = seen.locked { ($0.ingest, $0.lastObserved, $0.journalFailing) }
        let workers = state.peerSummary.filter { $0.role == .worker }.count
        let silence = configuration.heartbeat * (configuration.liveness * 2)
        let reason: String? = if workers == 0 {
            "no live worker"
        } else if ingest.map({ now - $0 > silence }) ?? true {
            "ingest silent"
        } else if journalFailing {
            "the journal cannot be written (intake stopped)"
        } else {
            nil
        }
        unhealthy.locked { $0 = reason }
        guard lastObserved.map({ now - $0 >= .seconds(1) }) ?? true else { return }
        seen.locked { $0.lastObserved = now }
        let oldest = state.oldestPendingUpdate.map { now - $0 }
        metrics.observe(.init(counters: state.counters, ready: state.queued, inFlight: state.inFlight,
                              oldestPendingSeconds: oldest?.seconds ?? 0, workers: workers,
                              journalBytes: journalBytes(), restarts: restarts()))
    }

    private func journalBytes() -> Int {
        let dir = configuration.file("journal").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasPrefix("segment-") }.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.size] as? Int) ?? 0)
        }
    }

    /// Restarts per role, as the supervisor's status file counts them.
    private func restarts() -> [String: Int] {
        var out: [String: Int] = [:]
        for child in SupervisorStatus.read(dataDir: configuration.absoluteDataDir)?.children ?? [] {
            out[child.role, default: 0] += child.restarts
        }
        return out
    }
}
