import ClusterRuntime
import Foundation
import GRDB
import TGClusterTesting

/// The sequencer: serial updates/s with durable (fsync'd) group commits, and the latency of
/// the outbox hop, from a handler's commit to its reply reaching the emulator.
enum SequencerBenchmark {
    static func run(arguments: [String]) async throws {
        let quick = arguments.contains("--quick")
        let n = quick ? 5000 : 20_000
        print("sequencer: counterbot (Benchmarks/CounterBot), 2 workers; release build; WAL, synchronous=FULL")
        var rates: [Double] = []
        var groups: [Double] = []
        for _ in 0..<3 {
            let r = try await throughput(updates: n)
            rates.append(r.rate)
            groups.append(r.perCommit)
        }
        print("  serial updates/s, \(n) /inc queued before start (3 rounds, median): \(fixed(median(rates), 0)) "
              + "(rounds: \(rates.map { fixed($0, 0) }.joined(separator: ", ")); ~\(fixed(median(groups), 0)) updates per commit)")
        let hop = try await outboxHop(updates: quick ? 500 : 1000)
        print("  outbox hop at 200 updates/s (commit → reply at the emulator): p50 \(fixed(hop.p50, 2)) ms, p99 \(fixed(hop.p99, 2)) ms")
        print("  the same updates end to end (injection → reply): p50 \(fixed(hop.e2e50, 2)) ms, p99 \(fixed(hop.e2e99, 2)) ms")
        let late = try await lateness(jobs: quick ? 3000 : 10_000)
        print("  JobQueue: \(late.jobs) pending one-shots firing at 1,000/s: lateness (due → callback starts in a worker) "
              + "p50 \(fixed(late.p50, 2)) ms, p99 \(fixed(late.p99, 2)) ms, max \(fixed(late.max, 1)) ms")
        let idle = try await idleCPU(pending: quick ? 20_000 : 100_000)
        print("  JobQueue: sequencer idle with \(idle.pending) pending jobs: \(fixed(idle.percent, 2))% of a core over 10 s")
    }

    /// `jobs` one-shots due at 1,000/s over 100 chats; lateness as each callback measures it.
    static func lateness(jobs n: Int) async throws -> (jobs: Int, p50: Double, p99: Double, max: Double) {
        let (sim, dataDir) = try await setUp()
        defer { tearDown(sim, dataDir) }
        // The emulator learns the chats from their messages first.
        _ = try await sim.inject((0..<100).map { message("/inc", chat: 1000 + Int64($0)) })
        let process = try start(sim, dataDir: dataDir)
        defer { process.stop() }
        try await Task.sleep(for: .seconds(2))
        _ = try await sim.inject([message("/schedule \(n) 3000 \(n) 100", chat: 999)])
        let deadline = ContinuousClock.now + .seconds(Double(n) / 1000 + 30)
        var values: [Double] = []
        while ContinuousClock.now < deadline {
            values = try await sim.transcript().compactMap { call in
                guard call["method"] as? String == "sendMessage", let p = call["params"] as? [String: Any],
                      let text = p["text"] as? String, text.hasPrefix("late ") else { return nil }
                return Double(text.dropFirst(5))
            }
            if values.count >= n { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        values.sort()
        guard !values.isEmpty else { throw BenchError("no job fired") }
        return (values.count, values[values.count / 2], values[values.count * 99 / 100], values.last!)
    }

    /// The sequencer's CPU over 10 s with `pending` jobs due in an hour: the cost of waiting.
    static func idleCPU(pending n: Int) async throws -> (pending: Int, percent: Double) {
        let (sim, dataDir) = try await setUp()
        defer { tearDown(sim, dataDir) }
        let process = try start(sim, dataDir: dataDir)
        defer { process.stop() }
        try await Task.sleep(for: .seconds(2))
        _ = try await sim.inject([message("/schedule \(n) 3600000 60000 100", chat: 999)])
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, ((try await sim.stats())["messages_sent"] as? Int ?? 0) < 1 {
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(2))
        let pids = try rowsOfSupervisor(dataDir, role: "sequencer")
        let before = pids.reduce(0) { $0 + ClusterBenchmark.cpuTicks($1) }
        try await Task.sleep(for: .seconds(10))
        let after = pids.reduce(0) { $0 + ClusterBenchmark.cpuTicks($1) }
        return (n, Double(after - before) / ClusterBenchmark.clockTicksPerSecond / 10 * 100)
    }

    static func rowsOfSupervisor(_ dataDir: String, role: String) throws -> [pid_t] {
        guard let status = SupervisorStatus.read(dataDir: dataDir) else { throw CocoaError(.fileReadNoSuchFile) }
        return status.children.filter { $0.role == role }.map { pid_t($0.pid) }
    }

    static func start(_ sim: SimHarness, dataDir: String) throws -> BenchProcess {
        try ClusterBenchmark.launch("counterbot", ["run", "--workers", "2", "--poll-timeout", "10"], sim: sim, dataDir: dataDir)
    }

    static func message(_ text: String, chat: Int64) -> [String: Any] {
        let user: [String: Any] = ["id": chat, "is_bot": false, "first_name": "U"]
        return ["message": ["message_id": 1, "date": Int(Date().timeIntervalSince1970),
                            "chat": ["id": chat, "type": "private"], "from": user, "text": text]]
    }

    /// N updates waiting in the emulator, then the cluster: the rate at which they are applied.
    static func throughput(updates n: Int) async throws -> (rate: Double, perCommit: Double) {
        let (sim, dataDir) = try await setUp()
        defer { tearDown(sim, dataDir) }
        for start in stride(from: 0, to: n, by: 1000) {
            _ = try await sim.inject((start..<min(n, start + 1000)).map { message("/inc", chat: Int64(1000 + $0 % 500)) })
        }
        let process = try start(sim, dataDir: dataDir)
        defer { process.stop() }
        let db = dataDir + "/state.sqlite"
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, (try? query(db, "SELECT COUNT(*) FROM tgcluster_applied").first) ?? 0 < Double(n) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let span = try query(db, "SELECT MIN(applied_at), MAX(applied_at) FROM tgcluster_applied")
        let counter = try query(db, "SELECT value FROM counter")[0]
        precondition(Int(counter) == n, "counter \(counter) after \(n) updates")
        let groups = try query(db, "SELECT COUNT(DISTINCT commit_group) FROM tgcluster_applied")[0]
        return (Double(n) / (span[1] - span[0]), Double(n) / max(1, groups))
    }

    /// 200 updates/s into an idle cluster; each reply's arrival minus its update's commit.
    static func outboxHop(updates n: Int) async throws -> (p50: Double, p99: Double, e2e50: Double, e2e99: Double) {
        let (sim, dataDir) = try await setUp()
        defer { tearDown(sim, dataDir) }
        let process = try start(sim, dataDir: dataDir)
        defer { process.stop() }
        try await Task.sleep(for: .seconds(2))
        var injected: [Int64: Double] = [:]
        for i in 0..<n {
            let t = Date().timeIntervalSince1970
            let id = try await sim.inject([message("/inc_reply", chat: Int64(1000 + i % 50))])[0]
            injected[id] = t
            try await Task.sleep(for: .milliseconds(5))
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, ((try await sim.stats())["messages_sent"] as? Int ?? 0) < n {
            try await Task.sleep(for: .milliseconds(20))
        }
        let applied = try rows(dataDir + "/state.sqlite", "SELECT update_id, applied_at FROM tgcluster_applied")
        var commit: [Int64: Double] = [:]
        for r in applied { commit[Int64(r[0])] = r[1] }
        var hops: [Double] = []
        var e2e: [Double] = []
        for call in try await sim.transcript() where call["method"] as? String == "sendMessage" {
            guard let params = call["params"] as? [String: Any], let text = params["text"] as? String,
                  let id = Int64(text.dropFirst("count ".count)), let t = call["time"] as? Double else { continue }
            if let c = commit[id] { hops.append((t - c) * 1000) }
            if let i = injected[id] { e2e.append((t - i) * 1000) }
        }
        hops.sort()
        e2e.sort()
        return (hops[hops.count / 2], hops[hops.count * 99 / 100], e2e[e2e.count / 2], e2e[e2e.count * 99 / 100])
    }

    /// A fresh emulator and data dir for one measurement.
    static func setUp() async throws -> (SimHarness, String) {
        let sim = try await SimHarness.start()
        let dataDir = try BenchSetup.scratchDirectory()
        return (sim, dataDir)
    }

    static func tearDown(_ sim: SimHarness, _ dataDir: String) {
        Task { try? await sim.shutdown() }
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    static func query(_ path: String, _ sql: String) throws -> [Double] {
        try rows(path, sql).first ?? []
    }

    /// A read-only look at the store.
    static func rows(_ path: String, _ sql: String) throws -> [[Double]] {
        var c = Configuration()
        c.readonly = true
        c.busyMode = .timeout(5)
        let db = try DatabaseQueue(path: path, configuration: c)
        defer { try? db.close() }
        return try db.read { db in
            try Row.fetchAll(db, sql: sql).map { row in (0..<row.count).map { (row[$0] as Double?) ?? 0 } }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
