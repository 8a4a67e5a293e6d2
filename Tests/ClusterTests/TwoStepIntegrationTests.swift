import Foundation
import GRDB
import Testing
import TGClusterTesting

/// A two-step handler on the whole cluster (issue 16, item 6): the worker running its first
/// step is killed after the work and before the result leaves.
@Suite("Two-step handlers (processes)", .serialized)
struct TwoStepIntegrationTests {
    static let chat: Int64 = 6161

    @Test func aWorkerKilledBetweenTheSteps_theWorkRunsAgain_theStateChangesOnce_inTheChatsOrder() async throws {
        try await withCluster(bot: testBot, workers: 2) { cluster in
            let worker = cluster.children().filter { $0.role == "worker" }.map(\.pid)
            try await cluster.sim.inject(text: "/buy die", chatID: Self.chat)
            try await cluster.sim.inject(text: "after", chatID: Self.chat)
            try await waitUntil("the echo of the chat's next update", timeout: .seconds(60)) {
                try await cluster.replies()[Self.chat]?.contains("after") == true
            }
            let replies = try await cluster.replies()[Self.chat] ?? []
            // The first step ran twice (its worker died once, after its work); the second once,
            // with the second run's result; its reply left after the commit, before the chat's
            // next update was handled.
            #expect(replies == ["quoting (attempt 1)", "quoting (attempt 2)", "bought at 102 (purchases: 1)", "after"])
            #expect(cluster.children().filter { $0.role == "worker" }.map(\.pid) != worker, "a worker was replaced")
            let db = try DatabaseQueue(path: cluster.dataDir + "/state.sqlite")
            #expect(try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM purchase WHERE chat = ?", arguments: [Self.chat]) } == 1)

            // Once more, with no one dying: one run of each step.
            try await cluster.sim.inject(text: "/buy", chatID: Self.chat)
            try await waitUntil("the second purchase", timeout: .seconds(60)) {
                try await cluster.replies()[Self.chat]?.contains("bought at 101 (purchases: 2)") == true
            }
            #expect(try await cluster.replies()[Self.chat]?.suffix(2) == ["quoting (attempt 1)", "bought at 101 (purchases: 2)"])
        }
    }
}
