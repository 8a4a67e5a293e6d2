import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// The supervisor as gunicorn's arbiter: the broker's verdict on a peer is acted on.
@Suite("Arbiter (processes)", .serialized)
struct ArbiterIntegrationTests {
    /// A stopped process keeps its socket and its jobs: the broker requeues them after the
    /// liveness interval, and without the supervisor's kill the process would wake later and
    /// finish jobs that ran elsewhere meanwhile.
    @Test func aStoppedWorker_declaredLostByTheBroker_isKilledAndReplaced() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 2)
        var victim: pid_t = 0
        do {
            victim = try #require(cluster.children().first { $0.role == "worker" }).pid
            kill(victim, SIGSTOP)
            try await waitUntil("the stopped worker killed and reaped", timeout: .seconds(30)) {
                !cluster.children().contains { $0.pid == victim } && !isAlive(victim)
            }
            #expect(cluster.logText().contains("killing a child the broker declared lost"))
            // The supervisor's answer to the report is JSON on the broker's control socket, not a frame.
            #expect(!cluster.logText().contains("dropped a frame that does not parse"))
            try await waitUntil("two workers again", timeout: .seconds(30)) { cluster.peers().filter { $0.role == "worker" }.count == 2 }
            try await cluster.sim.generate(200, chats: 20)
            try await waitUntil("200 replies", timeout: .seconds(30)) { try await cluster.replyCount() >= 200 }
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        if victim > 0, isAlive(victim) { kill(victim, SIGKILL) }
        await cluster.cleanUp()
    }
}
