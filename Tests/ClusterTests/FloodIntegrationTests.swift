import Foundation
import Testing
import TGClusterTesting

/// Telegram's flood limits kept by the cluster as a whole: four workers answer bursts in a few
/// chats (each chat's jobs spread over the workers: `--dispatch spread`) against an emulator that enforces
/// Telegram's limits, and it never has to refuse one; with the limits off it does.
@Suite("Flood limits (processes)", .serialized)
struct FloodIntegrationTests {
    /// 32 messages in 4 chats (8 each, at once); every one answered; the 429s the emulator gave.
    func burst(flood: String) async throws -> Int {
        try await withCluster(bot: testBot, workers: 4, environment: ["TGCLUSTER_FLOOD": flood, "TGCLUSTER_DISPATCH": "spread"],
                              simConfigure: { $0.flood = .telegram }) { cluster in
            try await cluster.sim.generate(32, chats: 4)
            try await waitUntil("32 answers", timeout: .seconds(60)) {
                try await cluster.replies().values.reduce(0) { $0 + Set($1).count } >= 32
            }
            let replies = try await cluster.replies()
            let wrong = wrongChats(replies, expectedEcho(chats: 4, count: 32))
            #expect(wrong == nil, "each answered once, in order: \(wrong ?? "")\n\(cluster.incidents())")
            let byStatus = try await cluster.sim.stats()["by_status"] as? [String: Int] ?? [:]
            let refused = byStatus["429"] ?? 0
            #expect(try await cluster.stop() == 0)
            return refused
        }
    }

    @Test func fourWorkers_keepTheLimitsTogether_noneRefused_andWithoutThemSomeAre() async throws {
        let paced = try await burst(flood: "telegram")
        #expect(paced == 0, "the emulator refused \(paced) messages of a cluster that keeps the limits")
        let unpaced = try await burst(flood: "off")
        #expect(unpaced > 0, "with the limits off the emulator should have refused some (this is what shows the test can fail)")
        print("flood: 32 messages in 4 chats on 4 workers: 429s with the shared limits \(paced), without \(unpaced)")
    }

    /// 8 rounds of 3 messages in each of 4 chats, a second apart, against a server that allows
    /// no burst (2 a second per chat, strictly) while the cluster's profile has bursts of 2: the
    /// 429s over all the sends (retries included) and over the sends after the first round.
    func strictServer(flood: String) async throws -> (all: Double, afterFirstRound: Int) {
        try await withCluster(bot: testBot, workers: 4, environment: ["TGCLUSTER_FLOOD": flood, "TGCLUSTER_DISPATCH": "spread"],
                              simConfigure: { $0.flood = .telegram; $0.floodLimits.perChatRate = 2; $0.floodLimits.perChatBurst = 1 }) { cluster in
            var afterFirst = 0
            for round in 1...8 {
                try await cluster.sim.generate(12, chats: 4)
                try await waitUntil("round \(round) answered", timeout: .seconds(60)) {
                    try await cluster.replies().values.reduce(0) { $0 + $1.count } >= 12 * round
                }
                if round == 1 { afterFirst = -((try await cluster.sim.stats()["by_status"] as? [String: Int])?["429"] ?? 0) }
                try await Task.sleep(for: .seconds(1))
            }
            let stats = try await cluster.sim.stats()
            let refused = (stats["by_status"] as? [String: Int])?["429"] ?? 0
            let sends = (stats["by_method"] as? [String: Int])?["sendMessage"] ?? 0
            #expect(try await cluster.stop() == 0)
            return (Double(refused) / Double(max(sends, 1)), afterFirst + refused)
        }
    }

    /// Issue 17: the limits learn. After the first 429 no chat bursts for `learn` seconds, so a
    /// strict server refuses at most the first round's bursts (≤ 5% of the sends); without
    /// learning (`learn=0`) every round's bursts are refused again.
    @Test func aStrictServer_refusesOnlyUntilTheClusterLearns() async throws {
        let learned = try await strictServer(flood: "chat=1.5/2")
        #expect(learned.all <= 0.05, "429s were \(learned.all * 100)% of the sends")
        #expect(learned.afterFirstRound <= 1, "\(learned.afterFirstRound) refused after the first round")
        let unlearned = try await strictServer(flood: "chat=1.5/2,learn=0")
        #expect(unlearned.afterFirstRound >= 4, "without learning the later rounds' bursts are refused too (this shows the test can fail)")
        print("flood: strict server, 96 messages in 8 rounds: 429s \(Int(learned.all * 1000) / 10)% learning, \(Int(unlearned.all * 1000) / 10)% without; after the first round \(learned.afterFirstRound) vs \(unlearned.afterFirstRound)")
    }
}
