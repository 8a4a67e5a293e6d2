import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// Liveness with heartbeats of a second or more. A peer's bus loop counts every frame it sends
/// as a heartbeat, so a worker sends its once-a-second metrics and, at `--heartbeat 1s`, no
/// heartbeat at all: the broker must count the metrics as heard.
@Suite("Heartbeats (processes)", .serialized)
struct HeartbeatIntegrationTests {
    /// `--heartbeat 1s` (the broker's patience 4 s): over 6 s idle no peer is declared lost and
    /// the same worker then answers. Before the broker counted metrics, it lost the worker and
    /// the sequencer every ~4 s and the supervisor killed them (4 losses in 12 s at 1 s, 3 at
    /// 900 ms, none at 700 ms).
    @Test func aSlowHeartbeat_keepsAnIdleClustersPeersAlive() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 1, extra: ["--heartbeat", "1s"])
        do {
            let worker = try #require(cluster.child("worker"))
            try await Task.sleep(for: .seconds(6))
            try await cluster.send("still here", chat: 7)
            try await waitUntil("the reply", timeout: .seconds(30)) { try await cluster.replyCount() >= 1 }
            #expect(cluster.child("worker") == worker, "the worker was replaced")
            #expect(!cluster.logText().contains("peer lost"), "\(cluster.logText().suffix(2000))")
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        await cluster.cleanUp()
    }
}
