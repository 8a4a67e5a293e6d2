import Bus
import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// Workers on other hosts, for real: each worker host is a network namespace of its own,
/// joined to the core host (the test's namespace: emulator, broker, sequencer, ingest) by a
/// veth pair on a bridge, with CURVE on the link. Needs root (namespaces); CI has it.
@Suite("Workers on other hosts (network namespaces)", .serialized,
       .enabled(if: TestNetwork.available || ProcessInfo.processInfo.environment["CI"] != nil, "needs root and iproute2 to create network namespaces (ip netns); CI runs it"))
struct RemoteWorkersIntegrationTests {
    /// Key pairs in a private directory: the broker's, each named host's, and an allow-list
    /// directory holding the public certificates of `allowed`.
    struct Keys {
        let dir: String
        var allowDir: String { dir + "/allowed" }
        func secret(_ name: String) -> String { dir + "/\(name).key_secret" }
        func `public`(_ name: String) -> String { dir + "/\(name).key" }

        init(names: [String], allowed: [String]) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-keys-\(UUID().uuidString.prefix(8))").path
            for name in names { try CurveKeyFile.write(try CurveKeyPair.generate(), name: name, directory: dir) }
            try FileManager.default.createDirectory(atPath: dir + "/allowed", withIntermediateDirectories: true)
            for name in allowed { try FileManager.default.copyItem(atPath: `public`(name), toPath: allowDir + "/\(name).key") }
        }

        func publicKey(_ name: String) throws -> String { try CurveKeyFile.read(`public`(name)).publicKey }
        func secretKey(_ name: String) throws -> String { try CurveKeyFile.read(secret(name)).secretKey ?? "" }
        /// A worker host's flags: its own key and the server's public one.
        func client(_ name: String, server: String = "broker") -> [String] {
            ["--key", secret(name), "--server-key", `public`(server)]
        }
        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// The core host: the cluster with no local workers, listening for remote ones.
    static func core(_ network: TestNetwork, port: Int, security: [String], environment: [String: String] = [:], telegramFlood: Bool = false,
                     _ body: (ClusterHarness) async throws -> Void) async throws {
        try await withCluster(bot: testBot, workers: 0, extra: ["--remote-workers", "tcp://\(network.coreAddress):\(port)"] + security,
                              environment: environment, simConfigure: {
                                  $0.host = network.coreAddress
                                  if telegramFlood { $0.flood = .telegram }
                              }, body)
    }

    /// Worker host `index` of `network`, for `cluster`'s emulator.
    static func host(_ network: TestNetwork, _ index: Int, _ cluster: ClusterHarness, connect: String, security: [String],
                     workers: Int = 2, concurrency: Int = 8, environment: [String: String] = [:]) throws -> WorkerHost {
        try WorkerHost(bot: testBot, network: network, host: index, apiURL: cluster.sim.baseURL, token: cluster.sim.token,
                       connect: connect, security: security, workers: workers, concurrency: concurrency, environment: environment)
    }

    static func remotePeers(_ cluster: ClusterHarness, host: String? = nil) -> [BrokerStatus.Peer] {
        cluster.peers().filter { $0.remote && (host == nil || $0.host == host) }
    }

    @Test func twoHosts_answerEveryUpdateOnce_inOrder_andACutOffHostsWorkMovesToTheOther() async throws {
        let keys = try Keys(names: ["broker", "h0", "h1"], allowed: ["h0", "h1"])
        defer { keys.remove() }
        try await withTestNetwork(hosts: 2) { network in
            let port = freePort(address: network.coreAddress)
            let connect = "tcp://\(network.coreAddress):\(port)"
            try await Self.core(network, port: port, security: ["--key", keys.secret("broker"), "--allow-keys", keys.allowDir]) { cluster in
                let hosts = try (0..<2).map { try Self.host(network, $0, cluster, connect: connect, security: keys.client("h\($0)")) }
                defer { for h in hosts { kill(h.process.processIdentifier, SIGKILL) } }
                do {
                    try await waitUntil("2 workers from each host", timeout: .seconds(60)) {
                        Self.remotePeers(cluster, host: "h0").count == 2 && Self.remotePeers(cluster, host: "h1").count == 2
                    }
                } catch {
                    Issue.record("\(error)\n--- h0 ---\n\(hosts[0].logText().suffix(2000))\n--- h1 ---\n\(hosts[1].logText().suffix(2000))")
                    return
                }
                // tgcluster status lists the workers per host.
                let report = StatusReport.render(ControlAnswer(ok: true, broker: cluster.broker()))
                #expect(report.contains("h0 2 workers, 16 slots") && report.contains("h1 2 workers, 16 slots"), "\(report)")

                try await cluster.sim.generate(5000, chats: 250)
                try await waitUntil("the first 1500 replies", timeout: .seconds(60)) { try await cluster.replyCount() >= 1500 }
                try await network.setLink(0, up: false)
                let cut = ContinuousClock.now
                try await waitUntil("5000 answered", timeout: .seconds(120)) {
                    try await cluster.replies().values.reduce(0) { $0 + Set($1).count } >= 5000
                }
                let afterCut = ContinuousClock.now - cut
                let calls = try await cluster.calls().filter { $0.method == "sendMessage" && $0.ok }
                let from = Dictionary(grouping: calls) { $0.from ?? "?" }.mapValues(\.count)
                #expect((from[network.address(0)] ?? 0) > 0 && (from[network.address(1)] ?? 0) > 0, "both hosts answered: \(from)")
                let replies = try await cluster.replies()
                var duplicates = 0
                for (chat, texts) in expectedEcho(chats: 250, count: 5000) {
                    let got = replies[chat] ?? []
                    var seen = Set<String>()
                    #expect(got.filter { seen.insert($0).inserted } == texts, "chat \(chat): lost, or out of order")
                    duplicates += got.count - seen.count
                }
                // Only a reply that left the cut-off host just before its link went down, whose
                // DONE did not: at most its jobs in flight (2 workers x 8).
                #expect(duplicates <= 16, "\(duplicates) answered twice")
                #expect(cluster.logText().contains("silent for"), "the broker declared the cut-off host's workers lost")
                #expect(afterCut < TestBounds.notStuck(.seconds(60)), "the rest answered within \(afterCut) of the cut")

                // The link comes back: the host rejoins and takes work again.
                try await network.setLink(0, up: true)
                try await waitUntil("h0's workers back", timeout: .seconds(60)) { Self.remotePeers(cluster, host: "h0").count == 2 }
                try await cluster.sim.generate(400, chats: 40, firstChatID: 500_000)
                try await waitUntil("400 more answered", timeout: .seconds(60)) { try await cluster.replyCount() >= calls.count + 400 }
                let later = try await cluster.calls().filter { $0.method == "sendMessage" && $0.ok }.dropFirst(calls.count)
                #expect(later.contains { $0.from == network.address(0) }, "the rejoined host got work")
                for h in hosts { await h.stop() }
                #expect(try await cluster.stop() == 0)
            }
        }
    }

    @Test func strangers_areRefused_andGetNoJob_aRemovedKeyIsRefusedOnItsOpenConnection() async throws {
        let keys = try Keys(names: ["broker", "impostor", "h0", "stranger"], allowed: ["h0"])
        defer { keys.remove() }
        try await withTestNetwork(hosts: 3) { network in
            let port = freePort(address: network.coreAddress)
            let connect = "tcp://\(network.coreAddress):\(port)"
            try await Self.core(network, port: port, security: ["--key", keys.secret("broker"), "--allow-keys", keys.allowDir]) { cluster in
                // An unknown key; the right key but another server's key; no CURVE at all.
                let strangers = [
                    try Self.host(network, 0, cluster, connect: connect, security: keys.client("stranger")),
                    try Self.host(network, 1, cluster, connect: connect, security: keys.client("h0", server: "impostor")),
                    try Self.host(network, 2, cluster, connect: connect, security: ["--insecure-plaintext"]),
                ]
                defer { for h in strangers { kill(h.process.processIdentifier, SIGKILL) } }
                try await cluster.sim.generate(50, chats: 5)
                try await Task.sleep(for: .seconds(4))
                #expect(Self.remotePeers(cluster).isEmpty, "no stranger registered")
                #expect(try await cluster.replyCount() == 0, "no stranger received a job")
                let strangerKey = try keys.publicKey("stranger")
                let log = cluster.logText()
                #expect(log.contains("refused a worker host") && log.contains(strangerKey), "the broker names who it refused")
                for secret in [try keys.secretKey("stranger"), try keys.secretKey("broker"), try keys.secretKey("h0")] {
                    #expect(!log.contains(secret), "no secret key in the log")
                }
                for h in strangers { await h.stop() }

                // The listed key gets the work; removed from the list, it is refused on the
                // connection it already has, and its host stops (a refusal is final).
                let host = try Self.host(network, 0, cluster, connect: connect, security: keys.client("h0"))
                defer { kill(host.process.processIdentifier, SIGKILL) }
                try await waitUntil("50 answered by the listed host", timeout: .seconds(60)) { try await cluster.replyCount() >= 50 }
                #expect(try await cluster.calls().filter { $0.method == "sendMessage" }.allSatisfy { $0.from == network.address(0) })
                try FileManager.default.removeItem(atPath: keys.allowDir + "/h0.key")
                try await waitUntil("the removed key's workers refused", timeout: .seconds(30)) {
                    Self.remotePeers(cluster).isEmpty && !host.process.isRunning
                }
                #expect(host.logText().contains("no longer in the broker's allow-list"))
                #expect(try await cluster.stop() == 0)
            }
        }
    }

    /// The failing variant: with authentication off (plaintext, said explicitly), the same
    /// stranger registers and is handed jobs, which the test above forbids.
    @Test func withAuthenticationOff_aStrangerGetsJobs() async throws {
        try await withTestNetwork(hosts: 1) { network in
            let port = freePort(address: network.coreAddress)
            try await Self.core(network, port: port, security: ["--insecure-plaintext"]) { cluster in
                let stranger = try Self.host(network, 0, cluster, connect: "tcp://\(network.coreAddress):\(port)",
                                              security: ["--insecure-plaintext"])
                defer { kill(stranger.process.processIdentifier, SIGKILL) }
                try await cluster.sim.generate(20, chats: 2)
                try await waitUntil("the stranger answers", timeout: .seconds(60)) { try await cluster.replyCount() >= 20 }
                #expect(cluster.logText().contains("INSECURE"), "plaintext is warned about at start")
                await stranger.stop()
            }
        }
    }

    /// One chat whose jobs alternate between two hosts, against an emulator with Telegram's
    /// limits: the chat's budget travels with its jobs, so no 429. With the budgets kept at
    /// home (`TGCLUSTER_FLOOD_BUDGETS=off`), each host spends the chat's budget on its own and
    /// the emulator answers 429.
    @Test func floodLimits_holdForAChatWhoseJobsAlternateBetweenHosts() async throws {
        let keys = try Keys(names: ["broker", "h0", "h1"], allowed: ["h0", "h1"])
        defer { keys.remove() }
        func run(budgets: Bool) async throws -> (tooMany: Int, from: [String: Int]) {
            var result = (tooMany: 0, from: [String: Int]())
            try await withTestNetwork(hosts: 2) { network in
                let port = freePort(address: network.coreAddress)
                let connect = "tcp://\(network.coreAddress):\(port)"
                // Spread: each of the chat's jobs goes to the other host (packed keeps them on one).
                var environment = ["TGCLUSTER_FLOOD": "telegram", "TGCLUSTER_DISPATCH": "spread"]
                if !budgets { environment["TGCLUSTER_FLOOD_BUDGETS"] = "off" }
                try await Self.core(network, port: port, security: ["--key", keys.secret("broker"), "--allow-keys", keys.allowDir],
                                    environment: environment, telegramFlood: true) { cluster in
                    let hosts = try (0..<2).map {
                        try Self.host(network, $0, cluster, connect: connect, security: keys.client("h\($0)"),
                                       workers: 1, concurrency: 1, environment: ["TGCLUSTER_FLOOD": "telegram"])
                    }
                    defer { for h in hosts { kill(h.process.processIdentifier, SIGKILL) } }
                    try await waitUntil("a worker on each host", timeout: .seconds(60)) { Self.remotePeers(cluster).count == 2 }
                    try await cluster.sim.generate(12, chats: 1)
                    try await waitUntil("12 replies", timeout: .seconds(90)) { try await cluster.replyCount() >= 12 }
                    let calls = try await cluster.calls().filter { $0.method == "sendMessage" }
                    result.tooMany = calls.filter { $0.error?.contains("Too Many Requests") == true }.count
                    result.from = Dictionary(grouping: calls.filter(\.ok)) { $0.from ?? "?" }.mapValues(\.count)
                    for h in hosts { await h.stop() }
                }
            }
            return result
        }
        let carried = try await run(budgets: true)
        #expect(carried.from.count == 2 && carried.from.values.allSatisfy { $0 >= 3 }, "the chat's jobs alternated: \(carried.from)")
        #expect(carried.tooMany == 0, "no 429 with the budget carried")
        let atHome = try await run(budgets: false)
        #expect(atHome.from.count == 2, "\(atHome.from)")
        #expect(atHome.tooMany > 0, "each host on its own budget goes too fast (the check can fail)")
    }
}
