import BotAPI
import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// The cluster's scrape target under traffic, scraped by promtool and by a real Prometheus
/// server on loopback.
@Suite("Metrics (processes)", .serialized)
struct MetricsIntegrationTests {
    /// The port of the broker's "metrics listening" line (`listen=127.0.0.1:PORT`).
    static func metricsPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.hasSuffix("metrics listening") {
            guard let listen = line.split(separator: " ").first(where: { $0.hasPrefix("listen=") }),
                  let port = listen.split(separator: ":").last.flatMap({ Int($0) }) else { continue }
            return port
        }
        return nil
    }

    static func get(_ url: String, http: CurlMultiLoop) async throws -> (Int, String) {
        let r = try await http.perform(HTTPRequest(url: url, totalTimeout: .seconds(10)))
        return (r.status, String(decoding: r.body, as: UTF8.self))
    }

    @Test(.enabled(if: needs("/usr/bin/prometheus")))
    func metricsMoveWithTheTraffic_promtoolAcceptsThem_prometheusScrapesThem_andHealthFollowsTheWorkers() async throws {
        let http = CurlMultiLoop()
        defer { http.shutdown() }
        // Port 0, the kernel's pick, read back from the broker's log: a port found free and
        // released before the cluster binds it can be taken meanwhile by another test's socket
        // (the cluster then halts at boot: a CI run timed out waiting for its workers).
        try await withCluster(bot: testBot, workers: 2, extra: ["--metrics-listen", "127.0.0.1:0"]) { cluster in
            let port = try #require(Self.metricsPort(in: cluster.logText()), "the broker logs where it serves the metrics")
            let base = "http://127.0.0.1:\(port)"
            try await waitUntil("/healthz 200", timeout: .seconds(20)) { (try? await Self.get(base + "/healthz", http: http))?.0 == 200 }
            try await cluster.sim.generate(300, chats: 30)
            try await waitUntil("300 replies", timeout: .seconds(60)) { try await cluster.replyCount() >= 300 }
            // The broker's figures once a second, the peers' reports once a second: each converges
            // on its own (a worker's handler timings may come a report after the broker counted
            // the updates complete: seen under AddressSanitizer, 296 of 300), so all are waited for.
            var text = ""
            var handled = 0.0
            try await waitUntil("the figures", timeout: .seconds(10)) {
                text = try await Self.get(base + "/metrics", http: http).1
                handled = text.split(separator: "\n").filter { $0.hasPrefix("tgcluster_handler_duration_seconds_count{") }
                    .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
                return ClusterMetricsTests.value("tgcluster_updates_completed_total", in: text) == 300
                    && (ClusterMetricsTests.value("tgcluster_botapi_calls_total{method=\"sendMessage\",outcome=\"ok\"}", in: text) ?? 0) >= 300
                    && handled >= 300
            }
            #expect(handled >= 300, "every update's handler timed: \(handled)")
            #expect(ClusterMetricsTests.value("tgcluster_workers_connected", in: text) == 2)
            #expect(text.contains("tgcluster_journal_fsync_duration_seconds_count"))
            let (status, said) = try await ClusterMetricsTests.promtool(Array(text.utf8))
            #expect(status == 0, "promtool: \(said)")
            #expect(!text.contains("chat"), "no chat in a label")

            try await Self.scrapedByPrometheus(target: "127.0.0.1:\(port)", expecting: 300, http: http)

            // No worker: not healthy, and says why.
            try await ControlClient(dataDir: cluster.dataDir).scale(workers: 0)
            try await waitUntil("/healthz 503", timeout: .seconds(30)) {
                let (status, body) = try await Self.get(base + "/healthz", http: http)
                return status == 503 && body.contains("no live worker")
            }
        }
    }

    /// Starts Prometheus on loopback, scraping `target` every second, and waits until its API
    /// answers `tgcluster_updates_completed_total` = `expecting`.
    static func scrapedByPrometheus(target: String, expecting: Int, http: CurlMultiLoop) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-prom-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: tgcluster
                static_configs:
                  - targets: ["\(target)"]
            """
        try config.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let port = freePort()
        let prometheus = try SpawnedProcess(
            executable: "/usr/bin/prometheus",
            arguments: ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/data",
                        "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"],
            environment: ProcessInfo.processInfo.environment, output: dir.appendingPathComponent("prometheus.log").path)
        defer {
            kill(prometheus.processIdentifier, SIGTERM)
            for _ in 0..<100 where prometheus.isRunning { usleep(50_000) }
            if prometheus.isRunning { kill(prometheus.processIdentifier, SIGKILL) }
        }
        let query = "http://127.0.0.1:\(port)/api/v1/query?query=tgcluster_updates_completed_total"
        var last = ""
        do {
            try await waitUntil("Prometheus to scrape the cluster", timeout: .seconds(45)) {
                guard let (status, body) = try? await get(query, http: http), status == 200 else { return false }
                last = body
                return body.contains("\"value\":[") && body.contains(",\"\(expecting)\"]")
            }
        } catch {
            let log = (try? String(contentsOf: dir.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
            Issue.record("\(error); last answer: \(last); log: \(log.suffix(2000))")
        }
    }

    /// A metrics port another socket holds is a boot error: the cluster halts (78), and the
    /// harness says so at once, with the cluster's log, instead of waiting out its minute for
    /// workers that will not come.
    @Test func aMetricsPortInUse_haltsTheCluster_andTheHarnessSaysSoAtOnce() async throws {
        let (fd, port) = try boundSocket()
        defer { close(fd) }
        try #require(listen(fd, 1) == 0)
        let start = ContinuousClock.now
        do {
            try await withCluster(bot: testBot, workers: 1, extra: ["--metrics-listen", "127.0.0.1:\(port)"]) { _ in }
            Issue.record("the cluster started on a port in use")
        } catch let error as ClusterHarnessError {
            // 78: a boot error, which a service manager is told not to restart.
            #expect(error.message.contains("exited while starting, status 78"), "\(error.message)")
            #expect(error.log.contains("--metrics-listen 127.0.0.1:\(port)"), "the log says why: \(error.log.suffix(500))")
        }
        #expect(ContinuousClock.now - start < TestBounds.notStuck(.seconds(30)), "not the ready wait's minute")
    }
}
