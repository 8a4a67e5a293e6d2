import ClusterRuntime
import Foundation
import Sim
import TGClusterTesting

/// Cost flat as the work grows (issue 13, item 4): echobot with 4 workers takes `--updates=N`
/// (default 1,000,000) over `--chats=N` (default 100,000) in waves of 100,000, each injected
/// as soon as the last is answered, after one warm-up wave. Per wave: the rate, and the
/// cluster's PSS after it; at the end, the last wave's rate against the first's (target within
/// 10%), the PSS growth (target ≤ 20 MB) and the journal's size on disk (retention 30 s, so
/// completed segments go). `--concurrency=N`: handlers at once per worker (64, `echobot run`'s
/// default; the cluster bench's peers run 256, which is no faster here), which sets how much a
/// worker's first burst takes (~40 KB per handler in flight, kept: its job, its task, a libcurl
/// transfer), so most of the growth from a cold start.
enum ScaleBenchmark {
    static func run(arguments: [String]) async throws {
        func option(_ name: String, _ fallback: Int) -> Int { BenchSetup.option(name, in: arguments, fallback) }
        let total = option("updates", 1_000_000), chats = option("chats", 100_000), wave = min(100_000, total)
        let concurrency = option("concurrency", 64)
        print("scale: echobot 4 workers of \(concurrency) handlers at once, \(total) updates over \(chats) chats in waves of \(wave); "
              + "release build; journal retention 30 s")
        let sim = try await BenchSetup.quietSim()
        defer { Task { try? await sim.shutdown() } }
        let dataDir = try BenchSetup.scratchDirectory("scale")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let target = ClusterBenchmark.Target(name: "echobot", command: [ClusterBenchmark.binDir.appendingPathComponent("echobot").path, "run",
                                                                         "--workers", "4", "--concurrency", "\(concurrency)", "--poll-timeout", "10",
                                                                         "--journal-retention", "30s"],
                                             childrenFile: "supervisor.json")
        let process = try ClusterBenchmark.launch(target.command, sim: sim, dataDir: dataDir)
        defer { process.stop() }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, (BrokerStatus.read(dataDir: dataDir)?.peers.count ?? 0) < 2 {
            try await Task.sleep(for: .milliseconds(50))
        }
        func byRole() -> [String: Double] {
            var mb: [String: Double] = [:]
            for (pid, role) in [(process.processIdentifier, "supervisor")] + ClusterBenchmark.children(dataDir, target) {
                mb[role, default: 0] += Double(ClusterBenchmark.pssKB(pid)) / 1024
            }
            return mb
        }
        func pss() -> Double { byRole().values.reduce(0, +) }
        func roles(_ mb: [String: Double]) -> String {
            ["ingest", "broker", "sequencer", "worker", "supervisor"].map { "\($0) \(fixed(mb[$0] ?? 0, 1))" }.joined(separator: ", ")
        }
        let cold = byRole()
        // One wave first, not measured: the emulator creates the chats, and the cluster's
        // bounded tables (50,000 held jobs at most) reach their size.
        try await sim.generate(min(wave, total), chats: min(chats, wave))
        while ((try await sim.stats())["messages_sent"] as? Int ?? 0) < min(wave, total) { try await Task.sleep(for: .milliseconds(50)) }
        let warm = byRole()
        let startPSS = pss()
        print("PSS MB cold: \(roles(cold)); after a warm-up wave: \(roles(warm))")
        var rates: [Double] = []
        var journalPeak = 0.0
        var sent = 0
        let base = min(wave, total)
        print(lpad("wave", 6) + lpad("updates/s", 12) + lpad("PSS MB", 9) + lpad("journal MB", 12))
        while sent < total {
            let n = min(wave, total - sent)
            // Chats go round robin, and each wave starts where the last left off.
            try await sim.generate(n, chats: min(chats, n), firstChatID: 100_000 + Int64(sent % chats))
            let start = ContinuousClock.now
            while ((try await sim.stats())["messages_sent"] as? Int ?? 0) < base + sent + n {
                try await Task.sleep(for: .milliseconds(50))
                journalPeak = max(journalPeak, journalMB(dataDir))
            }
            sent += n
            rates.append(Double(n) / (ContinuousClock.now - start).seconds)
            print(lpad("\(rates.count)", 6) + lpad(fixed(rates.last!, 0), 12) + lpad(fixed(pss(), 1), 9) + lpad(fixed(journalMB(dataDir), 0), 12))
        }
        // The last reply reaches the emulator a moment before its DONE reaches the broker,
        // whose last DONE of a burst returns the burst's pages: the end is read once settled.
        try await Task.sleep(for: .seconds(1))
        print("PSS MB at the end (1 s after the last reply): \(roles(byRole())); the emulator (this process, not counted): \(fixed(Double(ClusterBenchmark.pssKB(getpid())) / 1024, 0))")
        let end = pss(), coldPSS = cold.values.reduce(0, +)
        let growth = end - startPSS
        let ratio = rates.last! / rates.first!
        print("last wave / first wave: \(fixed(ratio, 2))× (target 0.90–1.10); PSS after the warm-up \(fixed(startPSS, 1)) → \(fixed(end, 1)) MB, "
              + "\(growth >= 0 ? "+" : "")\(fixed(growth, 1)) MB, from the cold start \(fixed(coldPSS, 1)) → \(fixed(end, 1)) MB, "
              + "+\(fixed(end - coldPSS, 1)) MB (target ≤ +20); journal peak \(fixed(journalPeak, 0)) MB")
    }

    /// The journal directory's size on disk, MB.
    static func journalMB(_ dataDir: String) -> Double {
        let dir = URL(fileURLWithPath: dataDir).appendingPathComponent("journal")
        let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.fileSizeKey])) ?? []
        return Double(files.reduce(0) { $0 + ((try? $1.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) }) / 1_048_576
    }
}
