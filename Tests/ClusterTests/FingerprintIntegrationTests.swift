import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// The broker routes by handler index, so a peer built from another bot must not join.
@Suite("Handler-table fingerprint (processes)", .serialized)
struct FingerprintIntegrationTests {
    /// An echobot worker pointed at a testbot cluster: without the fingerprint it would join and
    /// run testbot updates with echobot's handler table (`/nested 2` would be echoed back).
    @Test func aWorkerOfAnotherBot_isRefused_exitsWithABootError_andRunsNothing() async throws {
        try await withCluster(bot: testBot, workers: 1) { cluster in
            let log = cluster.dataDir + "/foreign-worker.log"
            var env = ProcessInfo.processInfo.environment
            env["TELEGRAM_BOT_TOKEN"] = cluster.sim.token
            env["TELEGRAM_API_URL"] = cluster.sim.baseURL
            env["TGCLUSTER_DATA_DIR"] = cluster.dataDir
            env["TGCLUSTER_FLOOD"] = "off"
            let foreign = try SpawnedProcess(executable: ClusterHarness.binDir.appendingPathComponent("echobot").path,
                                             arguments: ["worker", "--heartbeat", "250ms", "--concurrency", "64"],
                                             environment: env, output: log)
            // Meanwhile updates flow: none may reach the foreign worker.
            for i in 0..<20 { try await cluster.sim.inject(text: "/nested \(i)", chatID: 5000 + Int64(i)) }
            try await waitUntil("the foreign worker to exit", timeout: .seconds(30)) { !foreign.isRunning }
            #expect(foreign.terminationStatus == 78, "a refused peer exits with the boot-error code")
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(text.contains("refused") && text.contains("echobot") && text.contains("tgcluster-testbot"), "\(text.suffix(2000))")
            try await waitUntil("20 replies", timeout: .seconds(30)) { try await cluster.replyCount() >= 20 }
            let replies = try await cluster.replies()
            for i in 0..<20 {
                #expect(replies[5000 + Int64(i)]?.first?.hasPrefix("nested: ") == true, "update \(i) ran the wrong handler: \(replies[5000 + Int64(i)] ?? [])")
            }
            #expect(cluster.peers().count == 2, "the cluster's own worker and sequencer only")
            #expect(try await cluster.stop() == 0)
        }
    }
}
