import BotAPI
import Foundation
import Testing
import TGClusterTesting
import Wire
@testable import ClusterRuntime

/// The cluster's metrics without processes: the broker's figures as differences, the peers'
/// cumulative reports added once, histograms replayed exactly, and an exposition promtool
/// accepts.
@Suite("ClusterMetrics")
struct ClusterMetricsTests {
    /// The value of the sample `series` (name and labels as exposed), or nil.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static func figures(completed: Int) -> ClusterMetrics.BrokerFigures {
        var c = BrokerState.Counters()
        c.accepted = completed + 2
        c.updatesCompleted = completed
        c.completed = completed
        c.pollHolds = completed / 5
        c.pollHoldsExpired = completed / 25
        return .init(counters: c, ready: 1, inFlight: 2, oldestPendingSeconds: 0.5, workers: 3, journalBytes: 4096,
                     restarts: ["worker": completed / 10])
    }

    @Test func brokerFigures_becomeCountersThatOnlyGrow_andGaugesThatFollow() {
        let m = ClusterMetrics()
        m.observe(Self.figures(completed: 10))
        m.observe(Self.figures(completed: 25))
        let text = String(decoding: m.exposition(), as: UTF8.self)
        #expect(Self.value("tgcluster_updates_completed_total", in: text) == 25)
        #expect(Self.value("tgcluster_updates_received_total", in: text) == 27)
        #expect(Self.value("tgcluster_workers_connected", in: text) == 3)
        #expect(Self.value("tgcluster_restarts_total{role=\"worker\"}", in: text) == 2)
        #expect(Self.value("tgcluster_oldest_pending_update_age_seconds", in: text) == 0.5)
        #expect(Self.value("tgcluster_poll_holds_total", in: text) == 5)
        #expect(Self.value("tgcluster_poll_holds_expired_total", in: text) == 1)
    }

    /// A handler's job is recorded by its index and reported under its label, together with what
    /// was recorded under that label by name (a deferred call of the same handler, a second
    /// handler of the same label); an index past the table reports as `handler N`.
    @Test func handlersRecordedByIndex_areReportedByLabel_withWhatCameByName() throws {
        let client = BotClient(configuration: .init(token: "1:unused", apiURL: "http://127.0.0.1:9"))
        defer { client.shutdown() }
        let recorder = PeerMetricsRecorder(client: client, handlerLabels: ["echo", "command /start", "echo"])
        recorder.ran(handler: 0, for: .milliseconds(2))
        recorder.ran(handler: 0, for: .milliseconds(200))
        recorder.ran(handler: 2, for: .milliseconds(3))
        recorder.ran("echo", for: .milliseconds(4))
        recorder.ran(handler: 7, for: .milliseconds(1))
        recorder.ran("job:notify", for: .milliseconds(1))
        guard case .metrics(let json) = recorder.report() else {
            Issue.record("not a METRICS frame")
            return
        }
        let report = try JSONDecoder().decode(PeerMetrics.self, from: json)
        #expect(report.durations.keys.sorted() == ["echo", "handler 7", "job:notify"], "no entry for a handler that never ran")
        let echo = try #require(report.durations["echo"])
        #expect(echo.counts.reduce(0, +) == 4)
        #expect(abs(echo.sums.reduce(0, +) - 0.209) < 1e-9)
        #expect(echo.counts[PeerMetrics.durationBounds.firstIndex(of: 0.25)!] == 1, "200 ms in the bucket up to 250 ms")
        #expect(report.durations["handler 7"]?.counts.reduce(0, +) == 1)
        // Reports are cumulative: a second one says the same.
        guard case .metrics(let again) = recorder.report() else {
            Issue.record("not a METRICS frame")
            return
        }
        #expect(try JSONDecoder().decode(PeerMetrics.self, from: again) == report)
    }

    @Test func peerReports_areCumulative_soEachIsAddedOnce_andARestartedPeerAddsAfresh() throws {
        let m = ClusterMetrics()
        var report = PeerMetrics()
        report.calls = ["sendMessage": ["ok": 3, "429": 1]]
        report.durations["echo"] = .init(buckets: PeerMetrics.durationBounds.count)
        for d in [0.002, 0.003, 0.2] { report.durations["echo"]!.record(d, bounds: PeerMetrics.durationBounds) }
        m.absorb(try JSONEncoder().encode(report), from: Data("w1".utf8))
        m.absorb(try JSONEncoder().encode(report), from: Data("w1".utf8))  // the same report again: nothing new
        report.calls["sendMessage"]!["ok"] = 5
        m.absorb(try JSONEncoder().encode(report), from: Data("w1".utf8))
        var fresh = PeerMetrics()
        fresh.calls = ["sendMessage": ["ok": 2]]
        m.absorb(try JSONEncoder().encode(fresh), from: Data("w2".utf8))
        m.absorb(Data("not json".utf8), from: Data("w3".utf8))
        let text = String(decoding: m.exposition(), as: UTF8.self)
        #expect(Self.value("tgcluster_botapi_calls_total{method=\"sendMessage\",outcome=\"ok\"}", in: text) == 7)
        #expect(Self.value("tgcluster_botapi_calls_total{method=\"sendMessage\",outcome=\"429\"}", in: text) == 1)
        #expect(Self.value("tgcluster_handler_duration_seconds_count{handler=\"echo\"}", in: text) == 3)
        let sum = try #require(Self.value("tgcluster_handler_duration_seconds_sum{handler=\"echo\"}", in: text))
        #expect(abs(sum - 0.205) < 1e-9)
        #expect(Self.value("tgcluster_handler_duration_seconds_bucket{handler=\"echo\",le=\"0.005\"}", in: text) == 2)
    }

    @Test(.enabled(if: needs("/usr/bin/promtool")))
    func theExposition_passesPromtool() async throws {
        let m = ClusterMetrics()
        m.observe(Self.figures(completed: 10))
        m.fsynced(0.004)
        var report = PeerMetrics()
        report.calls = ["sendMessage": ["ok": 3]]
        report.groupSizes = .init(buckets: PeerMetrics.groupSizeBounds.count)
        report.groupSizes!.record(3, bounds: PeerMetrics.groupSizeBounds)
        m.absorb(try JSONEncoder().encode(report), from: Data("s".utf8))
        let (status, output) = try await Self.promtool(m.exposition())
        #expect(status == 0, "\(output)")
    }

    /// `promtool check metrics` on `exposition`: its status and what it said.
    static func promtool(_ exposition: [UInt8]) async throws -> (Int32, String) {
        let r = try await SpawnedProcess.run("/usr/bin/promtool", ["check", "metrics"], input: Data(exposition))
        return (r.status, r.output)
    }

    /// Every family the cluster has: the broker's figures, an fsync, and a report with each
    /// kind of figure a peer sends.
    static func everyFamilyExposed() throws -> String {
        let m = ClusterMetrics()
        m.observe(Self.figures(completed: 10))
        m.fsynced(0.004)
        var report = PeerMetrics()
        report.calls = ["sendMessage": ["ok": 3]]
        report.retries = 1
        report.tooManyRequests = 1
        report.floodWaitSeconds = 0.5
        report.durations["echo"] = .init(buckets: PeerMetrics.durationBounds.count)
        report.durations["echo"]!.record(0.01, bounds: PeerMetrics.durationBounds)
        report.groupSizes = .init(buckets: PeerMetrics.groupSizeBounds.count)
        report.groupSizes!.record(3, bounds: PeerMetrics.groupSizeBounds)
        report.commitSeconds = .init(buckets: PeerMetrics.durationBounds.count)
        report.commitSeconds!.record(0.01, bounds: PeerMetrics.durationBounds)
        m.absorb(try JSONEncoder().encode(report), from: Data("s".utf8))
        return String(decoding: m.exposition(), as: UTF8.self)
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The README's table of metrics names exactly the families exposed: a name that changed
    /// (the move to swift-prometheus's descriptors splits each name and joins it again) or one
    /// the table lacks fails here. `{a,b}` inside a name stands for both; at its end, labels.
    @Test func theReadmesTable_namesEveryFamilyExposed_andNoOther() throws {
        let exposed = Set(try Self.everyFamilyExposed().matches(of: #/# TYPE (tgcluster_[a-z0-9_]+) /#).map { String($0.output.1) })
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let table = try #require(readme.components(separatedBy: "| metric | what |").dropFirst().first?.components(separatedBy: "\n\n").first)
        var documented = Set<String>()
        for match in table.matches(of: /`(tgcluster_[a-z0-9_{},]+)`/) {
            var name = String(match.output.1)
            if name.hasSuffix("}"), let open = name.lastIndex(of: "{") { name = String(name[..<open]) }  // labels
            if let group = name.firstMatch(of: /\{([a-z0-9_,]+)\}/) {
                for part in group.output.1.split(separator: ",") { documented.insert(name.replacingCharacters(in: group.range, with: part)) }
            } else {
                documented.insert(name)
            }
        }
        #expect(exposed.count >= 25)
        #expect(documented == exposed, "README only: \(documented.subtracting(exposed).sorted()); exposed only: \(exposed.subtracting(documented).sorted())")
    }

    /// Every series the Grafana dashboard (deploy/grafana) queries is one the cluster exposes.
    @Test func theDashboard_queriesOnlySeriesTheClusterExposes() throws {
        let exposed = try Self.everyFamilyExposed()
        let dashboard = Self.repository.appendingPathComponent("deploy/grafana/tgcluster.json")
        let text = try String(contentsOf: dashboard, encoding: .utf8)
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let queried = Set(text.matches(of: /tgcluster_[a-z0-9_]+/).map { String($0.output) })
        #expect(queried.count >= 10)
        for name in queried.sorted() {
            #expect(exposed.contains("\n" + name) || exposed.hasPrefix(name), "the dashboard queries \(name), which is not exposed")
        }
    }
}
