import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// The handler deadline when handlers hold every thread of Swift's pool.
@Suite("Watchdog (processes)", .serialized)
struct WatchdogIntegrationTests {
    /// As many spinning and blocking handlers as the pool has threads (one per core) take every
    /// thread of the one worker; the bus thread keeps heartbeating, so only a watchdog that
    /// needs no pool thread notices. The echoes queued behind them are answered by the restarted
    /// worker and the blockers are dead-lettered after their attempts.
    @Test func handlersBlockingEveryPoolThread_areCaughtByTheDeadline_andTheWorkGoesOn() async throws {
        let blockers = max(2, ProcessInfo.processInfo.activeProcessorCount)
        try await withCluster(bot: testBot, workers: 1, concurrency: 16, extra: ["--deadline", "2s"]) { cluster in
            for i in 0..<blockers { try await cluster.sim.inject(text: i % 2 == 0 ? "/spin" : "/block", chatID: 9000 + Int64(i)) }
            try await Task.sleep(for: .milliseconds(500))
            for i in 0..<5 { try await cluster.sim.inject(text: "innocent \(i)", chatID: 9100 + Int64(i)) }
            try await waitUntil("the echoes answered and the blockers dead-lettered", timeout: .seconds(120)) {
                let replies = try await cluster.replies()
                return (0..<5).allSatisfy { replies[9100 + Int64($0)] != nil } && (0..<blockers).allSatisfy { replies[9000 + Int64($0)] != nil }
            }
            let replies = try await cluster.replies()
            for i in 0..<5 { #expect(replies[9100 + Int64(i)] == ["innocent \(i)"]) }
            for i in 0..<blockers { #expect(replies[9000 + Int64(i)]?.first?.hasPrefix("dead-lettered") == true) }
            #expect(cluster.logText().contains("ran past its deadline"))
            #expect(try await cluster.stop() == 0)
        }
    }
}
