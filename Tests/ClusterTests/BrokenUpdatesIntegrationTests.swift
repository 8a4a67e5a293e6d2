import Foundation
import Testing
import TGClusterTesting

/// Issue 17, item 4: a `getUpdates` answer that is cut short or enormous (the emulator's
/// `broken_updates`) crashes no process and skips no update: a truncated answer is polled again
/// from the same offset; an update too large for the journal is dead-lettered with its id, and
/// the rest of its batch is answered. (Its failing variant is the emulator's own: without
/// `broken_updates` nothing here is refused or dead-lettered.)
@Suite("Broken getUpdates answers (processes)", .serialized)
struct BrokenUpdatesIntegrationTests {
    static func breakNext(_ kind: String, count: Int, _ cluster: ClusterHarness) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["broken_updates": kind, "broken_updates_count": count])
        #expect(try await cluster.sim.request("/sim/config", body: body).status == 200)
    }

    static func message(_ text: String, chat: Int64) -> [String: Any] {
        ["message": ["message_id": 1, "date": Int(Date().timeIntervalSince1970), "text": text,
                     "chat": ["id": chat, "type": "private"], "from": ["id": chat, "is_bot": false, "first_name": "U"]]]
    }

    @Test func truncatedAndHugeAnswers_crashNothing_skipNothing() async throws {
        try await withCluster(bot: testBot, workers: 2) { cluster in
            let ingest = try #require(cluster.child("ingest"))
            let broker = try #require(cluster.child("broker"))

            // Three truncated answers in a row: each polled again, nothing skipped or repeated.
            try await Self.breakNext("truncated", count: 3, cluster)
            _ = try await cluster.sim.inject((0..<20).map { Self.message("t \($0)", chat: 600 + Int64($0 % 4)) })
            try await waitUntil("20 echoes", timeout: .seconds(60)) { try await cluster.replyCount() >= 20 }
            let stats = try await cluster.sim.stats()
            #expect((stats["by_method"] as? [String: Any])?["getUpdates"] as? Int ?? 0 >= 4, "three broken answers and a good one")
            #expect(cluster.logText().contains("getUpdates answer does not scan"))

            // One huge answer: its first update (12 MiB) is more than the journal holds.
            try await Self.breakNext("huge", count: 1, cluster)
            let ids = try await cluster.sim.inject((0..<10).map { Self.message("h \($0)", chat: 700 + Int64($0)) })
            try await waitUntil("9 more echoes", timeout: .seconds(60)) { try await cluster.replyCount() >= 29 }
            try await waitUntil("the dead letter", timeout: .seconds(30)) {
                await fileContains(cluster.dataDir + "/dead-letter.jsonl", "\"update_id\":\(ids[0])")
            }
            try await cluster.waitUntilQuiet()
            let replies = try await cluster.replies()
            for i in 0..<20 {
                let chat = 600 + Int64(i % 4)
                #expect(replies[chat] == (0..<20).filter { $0 % 4 == i % 4 }.map { "t \($0)" }, "chat \(chat)")
            }
            // Not handled: the bot's error handler hears of the dead letter (and tells the chat).
            #expect(replies[700]?.count == 1 && replies[700]?[0].hasPrefix("dead-lettered: the update is 125") == true, "\(replies[700] ?? [])")
            for i in 1..<10 { #expect(replies[700 + Int64(i)] == ["h \(i)"]) }
            #expect(await fileContains(cluster.dataDir + "/dead-letter.jsonl", "more than the journal holds"))
            #expect(cluster.child("ingest") == ingest && cluster.child("broker") == broker, "no process restarted")
            #expect(try await cluster.stop() == 0)
        }
    }
}
