import Bus
import ClusterRuntime
import Foundation
import TGClusterTesting

/// Echobot with its workers on two other hosts (network namespaces joined by a bridge, as in
/// the tests): one broker, 2 worker hosts × 2 workers, CURVE against plaintext in alternating
/// rounds on the same workload; throughput, latency under load, and latency at light load.
/// Needs root.
enum RemoteBenchmark {
    struct Result {
        var updatesPerSecond: Double
        var p50: Double
        var p99: Double
        var lightP50: Double
        var lightP99: Double
    }

    static func run(arguments: [String]) async throws {
        guard TestNetwork.available else {
            print("remote: skipped: network namespaces need root and iproute2 (/usr/sbin/ip)")
            return
        }
        let rounds = BenchSetup.option("rounds", in: arguments, 3)
        let n = 5000, chats = 500
        print("remote: echobot, broker + 2 worker hosts × 2 workers (network namespaces, veth + bridge); \(n) updates over \(chats) chats; "
              + "then 200 updates/s for 3 s; \(rounds) alternating rounds, medians")
        var results: [Bool: [Result]] = [true: [], false: []]
        for round in 0..<rounds {
            // Each goes first in every other round: what a run leaves behind weighs on both alike.
            for curve in round % 2 == 0 ? [true, false] : [false, true] {
                let r = try await measure(curve: curve, updates: n, chats: chats)
                results[curve]!.append(r)
                print("  round \(round + 1) \(curve ? "CURVE    " : "plaintext"): \(fixed(r.updatesPerSecond, 0)) updates/s, p50 \(fixed(r.p50, 0)) ms, "
                      + "light p50 \(fixed(r.lightP50, 2)) ms")
            }
        }
        func median(_ rs: [Result], _ f: (Result) -> Double) -> Double { rs.map(f).sorted()[rs.count / 2] }
        print(pad("what", 12) + lpad("updates/s", 11) + lpad("p50 ms", 9) + lpad("p99 ms", 9) + lpad("light p50", 11) + lpad("light p99", 11))
        for curve in [false, true] {
            let rs = results[curve]!
            print(pad(curve ? "CURVE" : "plaintext", 12) + lpad(fixed(median(rs, \.updatesPerSecond), 0), 11)
                  + lpad(fixed(median(rs, \.p50), 1), 9) + lpad(fixed(median(rs, \.p99), 1), 9)
                  + lpad(fixed(median(rs, \.lightP50), 2), 11) + lpad(fixed(median(rs, \.lightP99), 2), 11))
        }
        let c = results[true]!, p = results[false]!
        print("CURVE / plaintext: updates/s \(fixed(median(c, \.updatesPerSecond) / median(p, \.updatesPerSecond), 2)), "
              + "light-load p50 \(fixed(median(c, \.lightP50) / median(p, \.lightP50), 2))")
    }

    static func measure(curve: Bool, updates: Int, chats: Int) async throws -> Result {
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-bench-keys-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: keys) }
        for name in ["broker", "h0", "h1"] { try CurveKeyFile.write(try CurveKeyPair.generate(), name: name, directory: keys) }
        try FileManager.default.createDirectory(atPath: keys + "/allowed", withIntermediateDirectories: true)
        for name in ["h0", "h1"] { try FileManager.default.copyItem(atPath: "\(keys)/\(name).key", toPath: "\(keys)/allowed/\(name).key") }
        return try await withTestNetwork(hosts: 2) { network in
            let port = 5555
            let endpoint = "tcp://\(network.coreAddress):\(port)"
            let sim = try await SimHarness.start { $0.host = network.coreAddress }
            defer { Task { try? await sim.shutdown() } }
            let dataDir = try BenchSetup.scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: dataDir) }
            let coreSecurity = curve ? ["--key", keys + "/broker.key_secret", "--allow-keys", keys + "/allowed"] : ["--insecure-plaintext"]
            let core = try ClusterBenchmark.launch("echobot", ["run", "--workers", "0", "--poll-timeout", "10", "--remote-workers", endpoint]
                                                   + coreSecurity, sim: sim, dataDir: dataDir)
            defer { core.stop() }
            let echobot = ClusterBenchmark.binDir.appendingPathComponent("echobot").path
            let hosts = try (0..<2).map { i in
                try WorkerHost(bot: echobot, network: network, host: i, apiURL: sim.baseURL, token: sim.token, connect: endpoint,
                               security: curve ? ["--key", "\(keys)/h\(i).key_secret", "--server-key", keys + "/broker.key"] : ["--insecure-plaintext"],
                               workers: 2, concurrency: 256)
            }
            defer { for h in hosts { kill(h.process.processIdentifier, SIGKILL) } }
            try await waitUntil("4 remote workers", timeout: .seconds(60)) {
                (BrokerStatus.read(dataDir: dataDir)?.peers.filter(\.remote).count ?? 0) == 4
            }
            try await Task.sleep(for: .milliseconds(300))
            try await sim.generate(updates, chats: chats)
            let start = Date().timeIntervalSince1970
            try await waitUntil("\(updates) replies", timeout: .seconds(120)) { ((try await sim.stats())["messages_sent"] as? Int ?? 0) >= updates }
            let end = Date().timeIntervalSince1970
            let times = try await sim.transcript().compactMap { $0["method"] as? String == "sendMessage" ? $0["time"] as? Double : nil }
                .map { ($0 - start) * 1000 }.sorted()
            let light = try await lightLoad(sim, after: updates)
            for h in hosts { await h.stop() }
            return Result(updatesPerSecond: Double(updates) / (end - start), p50: times[times.count / 2],
                          p99: times[min(times.count - 1, times.count * 99 / 100)], lightP50: light.p50, lightP99: light.p99)
        }
    }

    /// 600 updates at 200/s (open loop) over 50 chats: injection to reply, per update.
    static func lightLoad(_ sim: SimHarness, after sentBefore: Int) async throws -> (p50: Double, p99: Double) {
        let sent = try await ClusterBenchmark.injectAt200PerSecond(sim, count: 600, label: "light", firstChat: 900_000)
        try await waitUntil("600 light replies", timeout: .seconds(60)) { ((try await sim.stats())["messages_sent"] as? Int ?? 0) >= sentBefore + 600 }
        let latencies = try await ClusterBenchmark.replyLatencies(sim, sent: sent)
        return (latencies[latencies.count / 2], latencies[latencies.count * 99 / 100])
    }
}
