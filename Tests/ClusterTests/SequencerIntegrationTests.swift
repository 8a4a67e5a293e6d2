import Foundation
import Testing
import TGClusterTesting

/// The sequencer's store across a whole-cluster restart: a conversation's state (by hand and
/// declared), a rolled-back handler, and an outbox job's result read by a later serial handler.
@Suite("Sequencer (processes)", .serialized)
struct SequencerIntegrationTests {
    static let chat: Int64 = 5150

    /// Injects `text` and waits for the chat's next reply.
    static func ask(_ cluster: ClusterHarness, _ text: String) async throws -> String {
        let before = try await cluster.replies()[chat]?.count ?? 0
        try await cluster.sim.inject(text: text, chatID: chat)
        try await waitUntil("a reply to \(text)", timeout: .seconds(30)) { try await cluster.replies()[chat]?.count ?? 0 > before }
        return try await cluster.replies()[chat]![before]
    }

    /// The deadline is watched by the sequencer's one timer: the timeout handler replies on time,
    /// with no other update to trigger it.
    @Test func aConversationsTimeoutHandler_runsOnTime() async throws {
        try await withCluster(bot: testBot, workers: 1) { cluster in
            #expect(try await Self.ask(cluster, "/countdown") == "Say something within 0.8 s")
            try await waitUntil("the timeout's reply", timeout: .seconds(30)) {
                try await cluster.replies()[Self.chat]?.contains { $0.hasPrefix("Too slow (") } == true
            }
            let late = try await cluster.replies()[Self.chat]!.first { $0.hasPrefix("Too slow (") }!
            let waited = Double(late.dropFirst("Too slow (".count).prefix { $0 != " " }) ?? 0
            #expect(waited >= 0.8 && waited < 10 * TestBounds.slowdown, "\(late)")
            #expect(try await Self.ask(cluster, "now") == "now", "over: the echo has it")
        }
    }

    @Test func conversationAndOutboxResults_surviveAFullRestart_andAFailedHandlerRollsBack() async throws {
        let first = try await ClusterHarness(bot: testBot, workers: 1)
        var key = ""
        do {
            #expect(try await Self.ask(first, "/survey") == "Your name?")
            #expect(try await Self.ask(first, "a: Ada") == "Your age, Ada?")
            #expect(try await Self.ask(first, "/quiz") == "Capital of France?")
            #expect(try await Self.ask(first, "Rome") == "Rome", "passed on to the concurrent echo, in a worker")
            #expect(try await Self.ask(first, "/breakit").hasPrefix("error: Broken"), "the error handler's deferred reply")
            #expect(try await Self.ask(first, "/note") == "notes: 1", "the rolled-back write is gone")
            let job = try await Self.ask(first, "/square 7")
            #expect(job.hasPrefix("job outbox-"))
            key = String(job.dropFirst("job ".count))
            try await waitUntil("the square job done", timeout: .seconds(20)) { first.broker()?.pending == 0 }
            #expect(try await first.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(first.logText().suffix(3000))")
        }
        await first.cleanUp(keepData: true)

        // Telegram's ids go on where they were; a new emulator must not start over.
        let second = try await ClusterHarness(bot: testBot, workers: 1, dataDir: first.dataDir, firstUpdateID: 200_000_000)
        do {
            #expect(try await Self.ask(second, "a: 36") == "Thanks Ada, 36", "the dialogue's state survived the restart")
            #expect(try await Self.ask(second, "a: again") == "no survey going on")
            #expect(try await Self.ask(second, "Paris") == "Right!", "the declared conversation's state survived the restart")
            #expect(try await Self.ask(second, "Paris") == "Paris", "and it ended")
            #expect(try await Self.ask(second, "/result \(key)") == "result: 49")
            #expect(try await Self.ask(second, "/result outbox-999999") == "result: no such job")
            #expect(try await second.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(second.logText().suffix(3000))")
        }
        await second.cleanUp()
    }
}
