import Foundation
import Testing
import TGClusterTesting

/// A rate limit on the whole cluster: one user's updates spread over two workers count against
/// one budget (with a table per worker, 6 of the 8 pass: tried). `--dispatch spread` sends the
/// user's consecutive updates to both workers (packed, the default, would keep them on one).
@Suite("Rate limits (processes)", .serialized)
struct RateLimitIntegrationTests {
    @Test func oneUsersUpdates_overTwoWorkers_shareOneBudget() async throws {
        try await withCluster(bot: testBot, workers: 2, environment: ["TGCLUSTER_DISPATCH": "spread"]) { cluster in
            let chat: Int64 = 6262
            for _ in 0..<8 { try await cluster.sim.inject(text: "/limited", chatID: chat) }
            try await waitUntil("eight answers", timeout: .seconds(60)) { try await cluster.replies()[chat]?.count ?? 0 >= 8 }
            let replies = try await cluster.replies()[chat] ?? []
            #expect(replies == Array(repeating: "ok", count: 3) + Array(repeating: "slow down", count: 5), "\(replies)")
        }
    }
}
