import Foundation
import Testing
import TGClusterTesting

/// Telegram's flood limits kept by the cluster as a whole: four workers answer bursts in a few
/// chats (each chat's jobs spread over the workers) against an emulator that enforces
/// Telegram's limits, and it never has to refuse one; with the limits off it does.
@Suite("Flood limits (processes)", .serialized)
struct FloodIntegrationTests {
    /// 32 messages in 4 chats (8 each, at once); every one answered; the 429s the emulator gave.
    func burst(flood: String) async throws -> Int {
        try await withCluster(bot: testBot, workers: 4, environment: ["TGCLUSTER_FLOOD": flood],
                              simConfigure: { $0.flood = .telegram }) { cluster in
            try await cluster.sim.generate(32, chats: 4)
            try await waitUntil("32 answers", timeout: .seconds(60)) {
                try await cluster.replies().values.reduce(0) { $0 + Set($1).count } >= 32
            }
            let replies = try await cluster.replies()
            for (chat, texts) in expectedEcho(chats: 4, count: 32) {
                #expect(replies[chat] == texts, "chat \(chat): each answered once, in order")
            }
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
}
