import ClusterRuntime
import Foundation
import Sim
import TGClusterTesting

/// Light load, where most bots live: 200 updates/s, nothing batches (issue 13's third target).
extension ClusterBenchmark {
    static var echobotLight: Target { echobotLight(in: binDir.path, extras: runExtras) }

    /// The echobot of the build in `dir`, as the light-load case runs it.
    static func echobotLight(in dir: String, extras: [String] = []) -> Target {
        Target(name: "echobot", command: [URL(fileURLWithPath: dir).appendingPathComponent("echobot").path, "run", "--workers", "4",
                                          "--poll-timeout", "10"] + extras, childrenFile: "supervisor.json")
    }

    /// `--light --baseline=DIR [--rounds=N]`: this build's echobot, DIR's and the raw loop, one
    /// after another in each round, medians and ratios. Light-load CPU spreads over ±30% from one
    /// run to the next on this shared machine; three targets measured side by side in each
    /// round share its noise.
    static func lightCompare(baseline: String, rounds: Int) async throws {
        guard let venv = peerPython() else { return }
        let raw = Target(name: "raw aiohttp loop", command: [venv, "scripts/peers/raw_echo.py"], childrenFile: nil)
        print("light compare: 200 updates/s open loop, 0 ms, echobot 4 workers; \(rounds) rounds of this build, the baseline and the raw loop")
        print("  this build: \(binDir.path)\n  baseline:   \(baseline)")
        var this: [Light] = [], base: [Light] = [], loop: [Light] = []
        for _ in 0..<rounds {
            this.append(try await lightLoad(echobotLight))
            base.append(try await lightLoad(echobotLight(in: baseline)))
            loop.append(try await lightLoad(raw, argumentsAfterURL: true))
        }
        func median(_ ls: [Light], _ f: (Light) -> Double) -> Double { ls.map(f).sorted()[ls.count / 2] }
        for (name, digits, f) in [("p50 ms", 2, { (l: Light) in l.p50 }), ("p99 ms", 2, { $0.p99 }), ("CPU µs/update", 0, { $0.cpuMicrosPerUpdate }),
                                  ("wake-ups/upd.", 1, { $0.wakeUpsPerUpdate })] {
            let (a, b, r) = (median(this, f), median(base, f), median(loop, f))
            print("  \(pad(name, 14)) this \(lpad(fixed(a, 2), 8))  baseline \(lpad(fixed(b, 2), 8))  raw loop \(lpad(fixed(r, 2), 8))"
                  + "  this/baseline \(fixed(a / b, 2))  this/raw \(fixed(a / r, 2))  baseline/raw \(fixed(b / r, 2))"
                  + "   (this: \(this.map { fixed(f($0), digits) }.joined(separator: " ")); baseline: \(base.map { fixed(f($0), digits) }.joined(separator: " ")))")
        }
        printWakeUpFloor(cluster: median(this, \.wakeUpsPerUpdate), raw: median(loop, \.wakeUpsPerUpdate), rawCPU: median(loop, \.cpuMicrosPerUpdate))
    }

    /// The peers' Python (scripts/bench --peers makes the venv), or nil with a word why.
    static func peerPython() -> String? {
        let venv = URL(fileURLWithPath: ".build/venv-peers/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            print("peers: no venv at .build/venv-peers (scripts/bench --peers creates it)")
            return nil
        }
        return venv
    }

    /// `--light`: the light-load case alone, the cluster against the raw loop.
    static func lightComparison() async throws {
        let light = try await lightLoad(Self.echobotLight)
        print("light load (200 updates/s open loop, 0 ms, 4 workers): p50 \(fixed(light.p50, 2)) ms, p99 \(fixed(light.p99, 2)) ms, "
              + "CPU \(fixed(light.cpuMicrosPerUpdate, 0)) µs/update")
        guard let venv = peerPython() else { return }
        try await lightAgainstRaw(light, venv: venv)
    }

    static func lightAgainstRaw(_ light: Light, venv: String) async throws {
        let raw = Target(name: "raw aiohttp loop", command: [venv, "scripts/peers/raw_echo.py"], childrenFile: nil)
        let rawLight = try await lightLoad(raw, argumentsAfterURL: true)
        print("light load, raw aiohttp loop: p50 \(fixed(rawLight.p50, 2)) ms, p99 \(fixed(rawLight.p99, 2)) ms, "
              + "CPU \(fixed(rawLight.cpuMicrosPerUpdate, 0)) µs/update")
        print("  echobot ×4 vs the raw loop at light load: p50 \(fixed(light.p50 / rawLight.p50, 2))×, p99 \(fixed(light.p99 / rawLight.p99, 2))×, "
              + "CPU per update \(fixed(light.cpuMicrosPerUpdate / rawLight.cpuMicrosPerUpdate, 2))× (targets: ≤ 1.1×, ≤ 1.1×, ≤ 0.35×)")
        printWakeUpFloor(cluster: light.wakeUpsPerUpdate, raw: rawLight.wakeUpsPerUpdate, rawCPU: rawLight.cpuMicrosPerUpdate)
    }

    /// The wake-ups per update of both, and what the cluster's alone cost at this machine's
    /// price of a wake-up (measured now, `WakeUpCost`), against the raw loop's whole CPU.
    static func printWakeUpFloor(cluster: Double, raw: Double, rawCPU: Double) {
        let cost = WakeUpCost.measure()
        let floor = cluster * cost.microsPerWakeUp
        print("  wake-ups per update: echobot ×4 \(fixed(cluster, 1)), raw loop \(fixed(raw, 1)); one wake-up costs "
              + "\(fixed(cost.microsPerWakeUp, 1)) µs of CPU here (two threads over a pipe, 4 ms apart, \(cost.wakeUps) wake-ups), so the "
              + "cluster's alone are \(fixed(floor, 0)) µs per update, \(fixed(floor / rawCPU, 2))× the raw loop's whole CPU")
    }

    /// What light load costs: reply latency and CPU per update (every process of the target).
    struct Light {
        var p50: Double
        var p99: Double
        var cpuMicrosPerUpdate: Double
        /// Times a thread of the target slept and was woken (voluntary context switches).
        var wakeUpsPerUpdate: Double
    }

    /// 200 updates/s for 5 s (open loop, 0 ms) into an idle target: the latency it adds and the
    /// CPU each update costs when nothing batches.
    static func lightLoad(_ target: Target, argumentsAfterURL: Bool = false) async throws -> Light {
        let sim = try await SimHarness.start()
        defer { Task { try? await sim.shutdown() } }
        let dataDir = try BenchSetup.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let process = try launch(target.command + (argumentsAfterURL ? [sim.baseURL, sim.token, "256"] : []), sim: sim, dataDir: dataDir)
        try await Task.sleep(for: .seconds(2))
        // Warm-up, not measured: the first updates open each process's connections to the
        // API and start its threads.
        _ = try await injectAt200PerSecond(sim, count: 100, label: "warm-up", firstChat: 1000)
        while ((try await sim.stats())["messages_sent"] as? Int ?? 0) < 100 { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(500))
        let pids = [process.processIdentifier] + children(dataDir, target).map(\.0)
        let cpu0 = pids.reduce(0) { $0 + cpuTicks($1) }
        let wakeUps0 = pids.reduce(0) { $0 + ProcessThreads.wakeUps(of: $1) }
        let n = 1000
        let sent = try await injectAt200PerSecond(sim, count: n, label: "light", firstChat: 1000)
        while ((try await sim.stats())["messages_sent"] as? Int ?? 0) < n + 100 { try await Task.sleep(for: .milliseconds(20)) }
        let cpu1 = pids.reduce(0) { $0 + cpuTicks($1) }
        let wakeUps1 = pids.reduce(0) { $0 + ProcessThreads.wakeUps(of: $1) }
        let latencies = try await replyLatencies(sim, sent: sent)
        process.stop()
        return Light(p50: latencies[latencies.count / 2], p99: latencies[latencies.count * 99 / 100],
                     cpuMicrosPerUpdate: Double(cpu1 - cpu0) / clockTicksPerSecond * 1e6 / Double(n),
                     wakeUpsPerUpdate: Double(wakeUps1 - wakeUps0) / Double(n))
    }

    /// Injects `count` text updates ("<label> <i>") at 200 a second over 50 chats from
    /// `firstChat`, open loop: the i-th leaves at i × 5 ms, however long the last one took.
    /// Returns each text's send time (Unix seconds), for `replyLatencies`.
    static func injectAt200PerSecond(_ sim: SimHarness, count: Int, label: String, firstChat: Int64) async throws -> [String: Double] {
        var sent: [String: Double] = [:]
        let start = ContinuousClock.now
        for i in 0..<count {
            let text = "\(label) \(i)"
            sent[text] = Date().timeIntervalSince1970
            try await sim.inject(text: text, chatID: firstChat + Int64(i % 50))
            let next = start + .milliseconds(5 * (i + 1))
            if next > .now { try await Task.sleep(until: next) }
        }
        return sent
    }

    /// Milliseconds from each injection (`sent`: text → Unix time) to the echo of that text,
    /// sorted.
    static func replyLatencies(_ sim: SimHarness, sent: [String: Double]) async throws -> [Double] {
        var latencies: [Double] = []
        for call in try await sim.transcript() where call["method"] as? String == "sendMessage" {
            guard let params = call["params"] as? [String: Any], let text = params["text"] as? String,
                  let t0 = sent[text], let t1 = call["time"] as? Double else { continue }
            latencies.append((t1 - t0) * 1000)
        }
        return latencies.sorted()
    }
}
