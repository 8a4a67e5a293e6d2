import BotAPI
import Foundation
import Sim
import Testing
import TGClusterTesting

/// What a bot author met in the emulator (issue 16): a callback's message is the bot's own,
/// injected messages get ids, update ids never go back after a reset, and a failed call keeps
/// its error text in the transcript.
@Suite("Sim: what bots met")
struct EmulatorFixesTests {
    @Test func aCallbacksMessage_isTheBots_soItCanBeEdited() async throws {
        let sim = try await SimHarness.start()
        defer { Task { try? await sim.shutdown() } }
        var factory = UpdateFactory(seed: 1)
        let update = factory.callbackQueryUpdate(chatID: 71, data: "vote:yes")
        try await sim.inject([update])
        let message = (update["callback_query"] as! [String: Any])["message"] as! [String: Any]
        let r = try await sim.call("editMessageText", ["chat_id": 71, "message_id": message["message_id"]!, "text": "voted"])
        #expect(r.status == 200, "\(r.text)")
        // A user's message still cannot be edited by the bot.
        try await sim.inject(text: "mine", chatID: 71)
        let users = try await sim.request("/sim/chats/71/messages").json["messages"] as? [[String: Any]] ?? []
        let mine = try #require(users.last { $0["text"] as? String == "mine" })
        let refused = try await sim.call("editMessageText", ["chat_id": 71, "message_id": mine["message_id"]!, "text": "x"])
        #expect(refused.status == 400)
    }

    @Test func injectedMessagesWithoutAnID_getTheChatsNext() async throws {
        let sim = try await SimHarness.start()
        defer { Task { try? await sim.shutdown() } }
        let chat: [String: Any] = ["id": 72, "type": "private", "first_name": "A"]
        let from: [String: Any] = ["id": 72, "is_bot": false, "first_name": "A"]
        try await sim.inject([["message": ["chat": chat, "from": from, "text": "one"]],
                              ["message": ["chat": chat, "from": from, "text": "two"]]])
        let updates = try await sim.call("getUpdates", [:]).json["result"] as? [[String: Any]] ?? []
        let ids = updates.compactMap { ($0["message"] as? [String: Any])?["message_id"] as? Int }
        #expect(ids == [1, 2])
        // The bot's reply takes the next one.
        let sent = try await sim.call("sendMessage", ["chat_id": 72, "text": "three"]).json["result"] as? [String: Any]
        #expect(sent?["message_id"] as? Int == 3)
    }

    @Test func aReset_neverTakesUpdateIDsBack() async throws {
        let sim = try await SimHarness.start()
        defer { Task { try? await sim.shutdown() } }
        let before = try await sim.generate(5, chats: 1)
        _ = try await sim.request("/sim/reset", body: Data())
        let after = try await sim.generate(1, chats: 1)
        #expect(after[0] > before.max()!, "\(after) after \(before)")
    }

    @Test func aFailedCall_keepsItsErrorTextInTheTranscript() async throws {
        let sim = try await SimHarness.start()
        defer { Task { try? await sim.shutdown() } }
        _ = try await sim.call("sendMessage", ["chat_id": 999_999, "text": "nobody"])
        let call = try #require(try await sim.transcript().last.flatMap(BotCall.init(transcriptEntry:)))
        #expect(!call.ok)
        #expect(call.error?.contains("chat not found") == true, "\(call)")
    }
}
