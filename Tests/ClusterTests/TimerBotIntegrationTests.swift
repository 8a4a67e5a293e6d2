import Foundation
import Testing
import TGClusterTesting

/// python-telegram-bot's timer example on the cluster (`timerbot`), including a timer that
/// outlives a full stop of the cluster.
@Suite("TimerBot (processes)", .serialized)
struct TimerBotIntegrationTests {
    static func ask(_ cluster: ClusterHarness, _ text: String, chat: Int64) async throws -> String {
        let before = try await cluster.replies()[chat]?.count ?? 0
        try await cluster.sim.inject(text: text, chatID: chat)
        try await waitUntil("a reply to \(text)", timeout: .seconds(30)) { try await cluster.replies()[chat]?.count ?? 0 > before }
        return try await cluster.replies()[chat]![before]
    }

    @Test func setUnsetUsage_andATimerSurvivesAFullRestart() async throws {
        let first = try await ClusterHarness(bot: "timerbot", workers: 1)
        do {
            #expect(try await Self.ask(first, "/set", chat: 61) == "Usage: /set <seconds>")
            #expect(try await Self.ask(first, "/set -3", chat: 61) == "Usage: /set <seconds>")
            #expect(try await Self.ask(first, "/unset", chat: 61) == "You have no active timer.")
            #expect(try await Self.ask(first, "/set 1", chat: 62) == "Timer successfully set!")
            try await waitUntil("the beep", timeout: .seconds(15)) { try await first.replies()[62]?.last == "Beep! 1 seconds are over!" }
            #expect(try await Self.ask(first, "/set 60", chat: 63) == "Timer successfully set!")
            #expect(try await Self.ask(first, "/set 60", chat: 63) == "Timer successfully set! Old one was removed.")
            #expect(try await Self.ask(first, "/unset", chat: 63) == "Timer successfully cancelled!")
            #expect(try await Self.ask(first, "/set 8", chat: 64) == "Timer successfully set!")
            #expect(try await first.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(first.logText().suffix(3000))")
        }
        await first.cleanUp(keepData: true)
        let second = try await ClusterHarness(bot: "timerbot", workers: 1, dataDir: first.dataDir, firstUpdateID: 200_000_000)
        do {
            try await second.sim.inject(text: "hello", chatID: 64)  // the new emulator learns the chat
            try await waitUntil("the beep after the restart", timeout: .seconds(20)) {
                try await second.replies()[64]?.contains("Beep! 8 seconds are over!") == true
            }
            #expect(try await second.replies()[63] == nil, "the cancelled timer stays cancelled")
            #expect(try await second.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(second.logText().suffix(3000))")
        }
        await second.cleanUp()
    }
}
