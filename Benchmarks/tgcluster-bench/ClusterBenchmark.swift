import ClusterRuntime
import Foundation
import Sim
import TGClusterTesting

/// Echobot end to end against the emulator: throughput, latency from injection to reply, CPU
/// of every bot process per 1,000 updates, and peak RSS; python-telegram-bot and aiogram on the
/// same workload with `--peers`.
enum ClusterBenchmark {
    struct Target {
        var name: String
        var command: [String]
        /// The processes to measure besides the main one (the cluster's children).
        var childrenFile: String?
    }

    struct Result {
        var updatesPerSecond: Double
        var p50: Double
        var p99: Double
        var cpuMicrosPerUpdate: Double
        /// The part of `cpuByRole` spent in the kernel (stime): syscalls, loopback TCP, wake-ups.
        var kernelByRole: [String: Double] = [:]
        var kernelMicrosPerUpdate: Double { kernelByRole.values.reduce(0, +) }
        /// Sum of the processes' peak RSS: counts the shared libraries once per process.
        var rssMB: Double
        /// Peak of the summed PSS (shared pages divided among the processes that map them).
        var pssMB: Double
        /// CPU µs per update of each role (workers summed; the main process is "supervisor"
        /// for a cluster, the bot itself for a peer).
        var cpuByRole: [String: Double] = [:]
        /// Injection → reply of every update, ms, sorted (for the chart).
        var latencies: [Double] = []
        /// TCP connections the emulator accepted (from the cluster's start): a client that stops reusing its
        /// connections shows here first (a handshake per call).
        var connectionsOpened: Int?
        /// The broker's CPU µs per update by thread name (`ThreadCPU`).
        var brokerByThread: [String: Double] = [:]
    }

    static var binDir: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    /// `--worker-nice=N`, `--ingest-in-broker`: passed to this build's `run` (focus, the table,
    /// light load, compare's "this").
    nonisolated(unsafe) static var runExtras: [String] = []
    /// Handlers in flight per worker in the table, `--focus` and `--baseline` runs, for both
    /// builds (`--concurrency=N`; 256 by default here; light load runs at `run`'s own 64):
    /// packed dispatch puts as many of a batch on one worker as this allows, so it is part of
    /// the workload.
    nonisolated(unsafe) static var concurrency = "256"

    static func run(arguments: [String]) async throws {
        if let n = BenchSetup.value("concurrency", in: arguments), let value = Int(n), value > 0 { concurrency = "\(value)" }
        if let nice = BenchSetup.value("worker-nice", in: arguments) { runExtras = ["--worker-nice", nice] }
        if arguments.contains("--ingest-in-broker") { runExtras.append("--ingest-in-broker") }
        if !runExtras.isEmpty { print("this build's run: \(runExtras.joined(separator: " "))") }
        if arguments.contains("--light") {
            if let baseline = BenchSetup.value("baseline", in: arguments) {
                try await lightCompare(baseline: baseline, rounds: BenchSetup.option("rounds", in: arguments, 3))
            } else {
                try await lightComparison()
            }
            return
        }
        if let baseline = BenchSetup.value("baseline", in: arguments) {
            let latency = BenchSetup.value("latency", in: arguments).flatMap { Int($0) }
            try await compare(baseline: baseline, rounds: BenchSetup.option("rounds", in: arguments, 3), latencies: latency.map { [$0] } ?? [0, 50])
            return
        }
        if arguments.contains("--focus") {
            try await focus(rounds: BenchSetup.option("rounds", in: arguments, 3),
                            latency: BenchSetup.option("latency", in: arguments, 0),
                            updates: BenchSetup.option("updates", in: arguments, 5000),
                            workers: BenchSetup.option("workers", in: arguments, 4))
            return
        }
        let peers = arguments.contains("--peers")
        let quick = arguments.contains("--quick")
        let n = quick ? 2000 : 5000
        let chats = quick ? 200 : 500
        print("cluster: echobot, \(n) updates over \(chats) chats injected at once; release build; the emulator runs in this process (not counted)")
        print(pad("what", 34) + lpad("updates/s", 11) + lpad("p50 ms", 9) + lpad("p99 ms", 9) + lpad("CPU µs/upd", 12)
              + lpad("PSS MB", 8) + lpad("ΣRSS MB", 9))
        var results: [String: Result] = [:]
        for latency in [0, 50] {
            for workers in [1, 2, 4] {
                let target = Target(name: "echobot \(workers) worker\(workers > 1 ? "s" : "")",
                                    command: [binDir.appendingPathComponent("echobot").path, "run", "--workers", "\(workers)",
                                              "--concurrency", concurrency, "--poll-timeout", "10"] + runExtras,
                                    childrenFile: "supervisor.json")
                let r = try await measure(target, latency: latency, updates: n, chats: chats)
                results["\(workers)/\(latency)"] = r
                report("\(target.name), \(latency) ms", r)
            }
        }
        let light = try await lightLoad(Self.echobotLight)
        print("light load (200 updates/s open loop, 0 ms, 4 workers): p50 \(fixed(light.p50, 2)) ms, p99 \(fixed(light.p99, 2)) ms, "
              + "CPU \(fixed(light.cpuMicrosPerUpdate, 0)) µs/update")
        guard peers else { return }
        guard let venv = peerPython() else { return }
        try await lightAgainstRaw(light, venv: venv)
        var chart = [0, 50].map { latency in
            let r = results["4/\(latency)"]!
            return BenchChart.Row(name: "echobot, 4 workers", latency: latency, updatesPerSecond: r.updatesPerSecond,
                                  cpuMicrosPerUpdate: r.cpuMicrosPerUpdate, latencies: r.latencies)
        }
        defer {
            if let path = BenchSetup.value("chart", in: arguments) {
                let title = "echobot (tgcluster) against Python peers: \(n) updates over \(chats) chats on tgcluster sim, \(Date().formatted(.iso8601.year().month().day()))"
                try? BenchChart.svg(chart, title: title).write(toFile: path, atomically: true, encoding: .utf8)
                print("chart: \(path)")
            }
        }
        for latency in [0, 50] {
            let ours = results["4/\(latency)"]!
            for (name, script) in [("raw aiohttp loop", "scripts/peers/raw_echo.py"), ("python-telegram-bot (256)", "scripts/peers/ptb_echo.py"),
                                   ("aiogram 3", "scripts/peers/aiogram_echo.py")] {
                let target = Target(name: name, command: [venv, script], childrenFile: nil)
                let r = try await measure(target, latency: latency, updates: n, chats: chats, argumentsAfterURL: true)
                report("\(name), \(latency) ms", r)
                chart.append(BenchChart.Row(name: name, latency: latency, updatesPerSecond: r.updatesPerSecond,
                                            cpuMicrosPerUpdate: r.cpuMicrosPerUpdate, latencies: r.latencies))
                print("  echobot ×4 vs \(name): \(fixed(ours.updatesPerSecond / r.updatesPerSecond, 1))× the throughput, "
                      + "\(fixed(r.cpuMicrosPerUpdate / ours.cpuMicrosPerUpdate, 1))× less CPU per update")
            }
        }
    }

    /// This build's echobot against another build's (`--baseline=DIR`, a `.build/release` of an
    /// earlier commit), in alternating rounds on the same emulator and workload, so that the
    /// machine's drift hits both alike; medians and their ratio.
    static func compare(baseline: String, rounds: Int, latencies: [Int]) async throws {
        let n = 5000, chats = 500
        print("cluster compare: echobot 4 workers of \(concurrency) handlers, \(n) updates over \(chats) chats; \(rounds) alternating rounds; medians")
        print("  this build: \(binDir.path)\n  baseline:   \(baseline)")
        for latency in latencies {
            var ours: [Result] = [], theirs: [Result] = []
            for _ in 0..<rounds {
                for (dir, into) in [(binDir.path, 0), (baseline, 1)] {
                    let target = Target(name: "echobot", command: [URL(fileURLWithPath: dir).appendingPathComponent("echobot").path, "run",
                                                                   "--workers", "4", "--concurrency", concurrency, "--poll-timeout", "10"]
                                                                   + (into == 0 ? runExtras : []),
                                        childrenFile: "supervisor.json")
                    let r = try await measure(target, latency: latency, updates: n, chats: chats)
                    if into == 0 { ours.append(r) } else { theirs.append(r) }
                }
            }
            func median(_ rs: [Result], _ f: (Result) -> Double) -> Double { rs.map(f).sorted()[rs.count / 2] }
            for (name, f) in [("updates/s", { (r: Result) in r.updatesPerSecond }), ("CPU µs/update", { $0.cpuMicrosPerUpdate }),
                              ("p50 ms", { $0.p50 }), ("PSS MB", { $0.pssMB })] as [(String, (Result) -> Double)] {
                let a = median(ours, f), b = median(theirs, f)
                let best = (ours.map(f).min()!, theirs.map(f).min()!)
                print("  \(latency) ms  \(pad(name, 14)) this \(lpad(fixed(a, 1), 9))  baseline \(lpad(fixed(b, 1), 9))  ratio \(fixed(a / b, 2))"
                      + "  (lowest: \(fixed(best.0, 1)) / \(fixed(best.1, 1)) = \(fixed(best.0 / best.1, 2)))"
                      + "   (this: \(ours.map { fixed(f($0), 0) }.joined(separator: " ")); baseline: \(theirs.map { fixed(f($0), 0) }.joined(separator: " ")))")
            }
        }
    }

    /// The budget case alone (4 workers or `--workers=N`, 0 ms or `--latency=N`, 5,000 updates
    /// over 500 chats, or `--updates=N` over N/10 chats), `rounds` times: every round's figures and
    /// the medians by role, for quick before/after reads. More updates give finer CPU figures (the
    /// kernel counts CPU in 10 ms ticks per process) and a profiler more samples.
    static func focus(rounds: Int, latency: Int, updates: Int, workers: Int) async throws {
        var results: [Result] = []
        for _ in 0..<rounds {
            let name = "echobot \(workers) worker\(workers > 1 ? "s" : "")"
            let target = Target(name: name, command: [binDir.appendingPathComponent("echobot").path, "run", "--workers", "\(workers)",
                                                      "--concurrency", concurrency, "--poll-timeout", "10"] + runExtras, childrenFile: "supervisor.json")
            let r = try await measure(target, latency: latency, updates: updates, chats: max(1, updates / 10))
            report("\(name), \(latency) ms", r)
            results.append(r)
        }
        var medians: [String: Double] = [:]
        for role in results[0].cpuByRole.keys { medians[role] = results.map { $0.cpuByRole[role] ?? 0 }.sorted()[rounds / 2] }
        print("median of \(rounds): \(fixed(results.map(\.updatesPerSecond).sorted()[rounds / 2], 0)) updates/s, "
              + "\(fixed(results.map(\.cpuMicrosPerUpdate).sorted()[rounds / 2], 1)) CPU µs/update (" + roleLine(medians) + "; "
              + "in the kernel \(fixed(results.map(\.kernelMicrosPerUpdate).sorted()[rounds / 2], 1)))")
        var threads: [String: Double] = [:]
        for name in Set(results.flatMap(\.brokerByThread.keys)) { threads[name] = results.map { $0.brokerByThread[name] ?? 0 }.sorted()[rounds / 2] }
        if !threads.isEmpty { print("  the broker by thread, medians: " + ThreadCPU.line(threads.filter { $0.value > 0 })) }
    }

    static func report(_ name: String, _ r: Result) {
        print(pad(name, 34) + lpad(fixed(r.updatesPerSecond, 0), 11) + lpad(fixed(r.p50, 1), 9) + lpad(fixed(r.p99, 1), 9)
              + lpad(fixed(r.cpuMicrosPerUpdate, 1), 12) + lpad(fixed(r.pssMB, 1), 8) + lpad(fixed(r.rssMB, 1), 9))
        if r.cpuByRole.count > 1 {
            print("    CPU µs/update by role: " + roleLine(r.cpuByRole) + (r.connectionsOpened.map { "; connections opened: \($0)" } ?? ""))
            print("    of which in the kernel: " + roleLine(r.kernelByRole) + " (\(fixed(r.kernelMicrosPerUpdate, 1)) in all)")
        }
        if !r.brokerByThread.isEmpty { print("    the broker by thread: " + ThreadCPU.line(r.brokerByThread)) }
    }

    static func roleLine(_ byRole: [String: Double]) -> String {
        ["ingest", "broker", "sequencer", "worker", "supervisor"].compactMap { role in
            byRole[role].map { "\(role == "worker" ? "workers" : role) \(fixed($0, 1))" }
        }.joined(separator: ", ")
    }

    /// Starts the target against a fresh emulator, injects the workload, waits for every reply.
    static func measure(_ target: Target, latency: Int, updates: Int, chats: Int, argumentsAfterURL: Bool = false) async throws -> Result {
        let sim = try await SimHarness.start { $0.latency = .milliseconds(latency) }
        defer { Task { try? await sim.shutdown() } }
        let dataDir = try BenchSetup.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let process = try launch(target.command + (argumentsAfterURL ? [sim.baseURL, sim.token, "256"] : []), sim: sim, dataDir: dataDir)
        // Ready: the cluster's broker sees its workers; a python bot has polled once.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if target.childrenFile != nil {
                if let peers = BrokerStatus.read(dataDir: dataDir)?.peers, peers.count >= 2 { break }
            } else if ((try await sim.stats())["by_method"] as? [String: Int])?["getUpdates"] ?? 0 > 0 {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(300))
        let roles = [(process.processIdentifier, "supervisor")] + children(dataDir, target)
        let pids = roles.map(\.0)
        let cpu0 = roles.map { cpuTicksSplit($0.0) }
        let broker = roles.first { $0.1 == "broker" }?.0
        let threads0 = broker.map(ThreadCPU.ticksByName) ?? [:]
        // The updates become visible to getUpdates together when the injection returns.
        try await sim.generate(updates, chats: chats)
        let start = Date().timeIntervalSince1970
        var peakPSS = pids.reduce(0) { $0 + pssKB($1) }
        // Every 50 ms: the end is the last reply's arrival in the emulator's transcript, not
        // this poll's, so a rarer poll costs no precision, and each poll (an HTTP request the
        // emulator answers on the cores the cluster runs on) disturbs the run less.
        while ((try await sim.stats())["messages_sent"] as? Int ?? 0) < updates {
            try await Task.sleep(for: .milliseconds(50))
            peakPSS = max(peakPSS, pids.reduce(0) { $0 + pssKB($1) })
        }
        peakPSS = max(peakPSS, pids.reduce(0) { $0 + pssKB($1) })
        let polled = Date().timeIntervalSince1970
        let cpu1 = roles.map { cpuTicksSplit($0.0) }
        let threads1 = broker.map(ThreadCPU.ticksByName) ?? [:]
        var byRole: [String: Double] = [:]
        var kernel: [String: Double] = [:]
        let perUpdate = { (ticks: Int) in Double(ticks) / clockTicksPerSecond * 1e6 / Double(updates) }
        for (i, (_, role)) in roles.enumerated() {
            byRole[role, default: 0] += perUpdate(cpu1[i].user + cpu1[i].system - cpu0[i].user - cpu0[i].system)
            kernel[role, default: 0] += perUpdate(cpu1[i].system - cpu0[i].system)
        }
        let rss = pids.reduce(0) { $0 + peakRSSKB($1) }
        let opened = try await sim.stats()["connections_opened"] as? Int
        let times = try await sim.transcript().compactMap { $0["method"] as? String == "sendMessage" ? $0["time"] as? Double : nil }
            .map { ($0 - start) * 1000 }.sorted()
        process.stop()
        let end = times.last.map { start + $0 / 1000 } ?? polled
        return Result(updatesPerSecond: Double(updates) / (end - start),
                      p50: times[times.count / 2], p99: times[min(times.count - 1, times.count * 99 / 100)],
                      cpuMicrosPerUpdate: byRole.values.reduce(0, +), kernelByRole: kernel,
                      rssMB: Double(rss) / 1024, pssMB: Double(peakPSS) / 1024, cpuByRole: byRole, latencies: times,
                      connectionsOpened: opened,
                      brokerByThread: ThreadCPU.perUpdate(before: threads0, after: threads1, updates: updates, ticksPerSecond: clockTicksPerSecond))
    }

    /// Starts one of the built bots against `sim`, its output discarded.
    static func launch(_ executable: String, _ arguments: [String], sim: SimHarness, dataDir: String) throws -> BenchProcess {
        try launch([binDir.appendingPathComponent(executable).path] + arguments, sim: sim, dataDir: dataDir)
    }

    /// Starts `command` against `sim` with the bot's environment, its output discarded.
    static func launch(_ command: [String], sim: SimHarness, dataDir: String) throws -> BenchProcess {
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = sim.token
        env["TELEGRAM_API_URL"] = sim.baseURL
        env["TGCLUSTER_DATA_DIR"] = dataDir
        env["TGCLUSTER_FLOOD"] = "off"  // the emulator's limits are off too
        return try BenchProcess(command, environment: env)
    }

    /// The cluster's children with their roles (workers as "worker").
    static func children(_ dataDir: String, _ target: Target) -> [(pid_t, String)] {
        guard target.childrenFile != nil, let status = SupervisorStatus.read(dataDir: dataDir) else { return [] }
        return status.children.map { (pid_t($0.pid), $0.role.hasPrefix("worker") ? "worker" : $0.role) }
    }

    /// The unit of `cpuTicks`.
    static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15).
    static func cpuTicks(_ pid: pid_t) -> Int {
        let t = cpuTicksSplit(pid)
        return t.user + t.system
    }

    /// utime and stime apart: the kernel's share is what instruction counts (callgrind counts user
    /// space only) do not see.
    static func cpuTicksSplit(_ pid: pid_t) -> (user: Int, system: Int) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let t = ThreadCPU.parse(stat) else { return (0, 0) }
        return (t.user, t.system)
    }

    /// The process's proportional set size, kB (/proc/<pid>/smaps_rollup).
    static func pssKB(_ pid: pid_t) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// VmHWM: the process's peak resident set, kB.
    static func peakRSSKB(_ pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
