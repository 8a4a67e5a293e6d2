import Foundation
import PTBExamples
import TGCluster
import TGClusterTesting
import Testing

/// python-telegram-bot's examples, ported: each run through a scripted session on the roles'
/// own code against the emulator, its calls compared with a golden transcript.
@Suite("python-telegram-bot examples")
struct PTBExamplesTests {
    @Test func conversationbot() async throws {
        try await withBotTester(ConversationBot.make()) { tester in
            try await tester.send("/start", chat: 10)
            try await tester.send("Boy", chat: 10)
            try await tester.sendPhoto(Data("a photo".utf8), chat: 10)
            try await tester.send("/skip", chat: 10)
            try await tester.send("I write Swift.", chat: 10)
            // Another round: no photo, a location, then /cancel before the bio.
            try await tester.send("/start", chat: 10)
            try await tester.send("Maybe", chat: 10)            // not a choice: nothing happens
            try await tester.send("Girl", chat: 10)
            try await tester.send("/skip", chat: 10)
            try await tester.send(content: ["location": ["latitude": 52.52, "longitude": 13.405]], chat: 10)
            try await tester.send("/cancel", chat: 10)
            try GoldenTranscript(name: "conversationbot").check(tester.calls())
            let photo = try Data(contentsOf: FileManager.default.temporaryDirectory.appendingPathComponent("user_photo.jpg"))
            #expect(photo == Data("a photo".utf8), "the photo was downloaded")
        }
    }

    @Test func inlinekeyboard() async throws {
        try await withBotTester(InlineKeyboardBot.make()) { tester in
            try await tester.send("/start", chat: 11)
            try await tester.press("2", chat: 11)
            try await tester.send("/help", chat: 11)
            try GoldenTranscript(name: "inlinekeyboard").check(tester.calls())
        }
    }

    @Test func inlinebot() async throws {
        try await withBotTester(InlineBot.make()) { tester in
            try await tester.send("/start", chat: 12)
            try await tester.send("/help", chat: 12)
            try await tester.inlineQuery("Tom & <Jerry>", user: 12)
            try await tester.inlineQuery("", user: 12)             // an empty query is not answered
            try GoldenTranscript(name: "inlinebot").check(tester.calls())
        }
    }

    @Test func persistentconversationbot() async throws {
        try await withBotTester(PersistentConversationBot.make()) { tester in
            for text in ["/start", "Age", "42", "Something else...", "Most impressive skill", "Juggling", "/show_data", "Done",
                         "/start", "Age", "Done"] {
                try await tester.send(text, chat: 13)
            }
            try GoldenTranscript(name: "persistentconversationbot").check(tester.calls())
        }
    }

    /// The point of the original: the conversation and the facts outlive the process. The whole
    /// cluster stops in the middle of a conversation and starts again on the same data.
    @Test func persistentconversationbot_acrossARestart() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-persistent-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try await withCluster(bot: "persistentconversationbot", workers: 1, dataDir: dataDir, keepData: true) { cluster in
            for text in ["/start", "Age", "42", "Favourite colour"] { try await cluster.send(text, chat: 14) }
            try await cluster.waitUntilQuiet()
            #expect(try await cluster.replies()[14]?.last == "Your favourite colour? Yes, I would love to hear about that!")
        }
        // Telegram's update ids go on where they were: the new emulator starts past the old ones.
        try await withCluster(bot: "persistentconversationbot", workers: 1, dataDir: dataDir, firstUpdateID: 200_000_000) { cluster in
            try await cluster.send("green", chat: 14)            // the conversation was waiting for this
            try await cluster.send("Done", chat: 14)
            try await cluster.waitUntilQuiet()
            #expect(try await cluster.replies()[14] == [
                "Neat! Just so you know, this is what you already told me:\nage - 42\nfavourite colour - green\n"
                    + "You can tell me more, or change your opinion on something.",
                "I learned these facts about you: \nage - 42\nfavourite colour - green\nUntil next time!",
            ])
        }
    }
}
