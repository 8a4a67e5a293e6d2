import Foundation
import Testing
import TGClusterTesting

/// Golden tests from real traffic: a cluster's journal exported as a capture, replayed into a
/// fresh emulator and bot, its transcript compared; a changed reply fails with a readable diff.
@Suite("Capture and replay (processes)", .serialized)
struct ReplayIntegrationTests {
    struct ToolResult {
        var status: Int32
        /// Standard output.
        var output: String
        /// Standard error.
        var errors: String
    }

    /// Runs a built executable of this package; its stdout and stderr together.
    static func tool(_ name: String, _ arguments: [String]) async throws -> ToolResult {
        var env = ProcessInfo.processInfo.environment
        for key in ["TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "TGCLUSTER_DATA_DIR"] { env[key] = nil }
        let r = try await SpawnedProcess.run(ClusterHarness.binDir.appendingPathComponent(name).path, arguments, environment: env,
                                             separateErrors: true)
        return ToolResult(status: r.status, output: r.output, errors: r.errors)
    }

    /// Captures `inject`'s traffic on a real cluster of `bot`, then checks the golden loop.
    func goldenLoop(bot: String, inject: (SimHarness) async throws -> Void, replies: Int, change: (String, String)) async throws {
        let cluster = try await ClusterHarness(bot: bot, workers: 1)
        do {
            try await inject(cluster.sim)
            try await waitUntil("\(replies) replies", timeout: .seconds(60)) { try await cluster.replyCount() >= replies }
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        await cluster.cleanUp(keepData: true)
        defer { try? FileManager.default.removeItem(atPath: cluster.dataDir) }
        let dir = cluster.dataDir
        let export = try await Self.tool("tgcluster", ["capture", "export", "--data-dir", dir])
        #expect(export.status == 0, "\(export.errors)")
        #expect(export.errors.contains("holds users' messages"), "the export warns that it is not redacted")
        try Data(export.output.utf8).write(to: URL(fileURLWithPath: dir + "/capture.jsonl"))
        #expect(export.output.split(separator: "\n").count >= 1)
        let botCommand = ClusterHarness.binDir.appendingPathComponent(bot).path + " run --workers 1 --poll-timeout 1"
        let record = try await Self.tool("tgcluster", ["replay", dir + "/capture.jsonl", "--bot", botCommand, "--transcript", dir + "/golden.jsonl"])
        #expect(record.status == 0, "\(record.output)\(record.errors)")
        let golden = try String(contentsOfFile: dir + "/golden.jsonl", encoding: .utf8)
        #expect(golden.split(separator: "\n").count == replies, "\(golden)")
        let again = try await Self.tool("tgcluster", ["replay", dir + "/capture.jsonl", "--bot", botCommand, "--expect", dir + "/golden.jsonl"])
        #expect(again.status == 0, "\(again.output)\(again.errors)")
        #expect(again.output.contains("matches"))
        // The bot's answer changes (here: the golden file does): the replay fails and says where.
        try golden.replacingOccurrences(of: change.0, with: change.1).write(toFile: dir + "/changed.jsonl", atomically: true, encoding: .utf8)
        let changed = try await Self.tool("tgcluster", ["replay", dir + "/capture.jsonl", "--bot", botCommand, "--expect", dir + "/changed.jsonl"])
        #expect(changed.status == 1, "\(changed.output)\(changed.errors)")
        #expect(changed.output.contains("differs") && changed.output.contains("  - ") && changed.output.contains("  + "), "\(changed.output)")
        #expect(changed.output.contains(change.1), "the diff shows the expected text")
    }

    @Test func echobot_goldenReplay_passes_andAChangedReplyFails() async throws {
        try await goldenLoop(bot: "echobot", inject: { sim in try await sim.generate(40, chats: 4) }, replies: 40,
                             change: ("message 3 to chat 100002", "message three to chat 100002"))
    }

    @Test func bankbot_goldenReplay_passes_andAChangedReplyFails() async throws {
        func message(_ text: String, _ user: Int64) -> [String: Any] {
            ["message": ["message_id": 1, "date": Int(Date().timeIntervalSince1970), "chat": ["id": user, "type": "private"],
                         "from": ["id": user, "is_bot": false, "first_name": "U\(user)"], "text": text]]
        }
        try await goldenLoop(bot: "bankbot", inject: { sim in
            _ = try await sim.inject([message("/open", 501), message("/open", 502), message("/transaction 300 502", 501),
                                      message("/transaction 5000 502", 501), message("/balance", 502), message("/history", 501)])
        }, replies: 8, change: ("Balance: 1300", "Balance: 1299"))
    }
}
