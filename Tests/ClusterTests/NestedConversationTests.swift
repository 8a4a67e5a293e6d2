import BotAPI
import Foundation
import TGBot
import TGClusterTesting
import Testing

/// Nested conversations (python-telegram-bot's `nestedconversationbot`): a conversation in a
/// state of another takes the updates its states want in its parent's place, tells the parent
/// when it ends (with what it collected), and is forgotten when the parent leaves the state.
@Suite("Nested conversations")
struct NestedConversationTests {
    enum Family: String { case choosing }
    enum Member: String { case name, age }

    static func bot(memberTimeout: Duration = .seconds(600)) -> Bot {
        let bot = Bot()
        let member = ConversationHandler<Member>("member", timeout: memberTimeout)
        member.entry(.command("add")) { ctx, _ in
            try await ctx.reply("Name?")
            return .next(.name)
        }
        member.on(.name, .plainText) { ctx, talk in
            talk["name"] = ctx.text
            try await ctx.reply("Age?")
            return .next(.age)
        }
        member.on(.age, .text(matching: "^[0-9]+$")) { ctx, talk in
            talk["age"] = ctx.text
            try await ctx.reply("Saved.")
            return .end
        }
        member.fallback(.command("back")) { ctx, _ in
            try await ctx.reply("Back.")
            return .end
        }
        let family = ConversationHandler<Family>("family")
        family.entry(.command("family")) { ctx, _ in
            try await ctx.reply("Add members with /add; /done when done.")
            return .next(.choosing)
        }
        family.on(.choosing, member) { ctx, talk, added in
            if let name = added["name"], added["age"] != nil { talk["members"] = (talk["members"].map { $0 + ", " } ?? "") + name }
            try await ctx.reply("Members: \(talk["members"] ?? "none")")
            return .next(.choosing)
        }
        family.on(.choosing, .command("done")) { ctx, talk in
            try await ctx.reply("Family: \(talk["members"] ?? "nobody")")
            return .end
        }
        family.fallback(.command("cancel")) { ctx, _ in
            try await ctx.reply("Cancelled.")
            return .end
        }
        bot.add(family)
        bot.onText { ctx in try await ctx.reply("echo: \(ctx.text ?? "")") }
        return bot
    }

    static func texts(_ calls: [BotCall]) -> [String] { calls.compactMap(\.text) }

    static func dialogues(_ t: BotTester) throws -> [String] {
        try t.read { db in try String.fetchAll(db, sql: "SELECT name || ':' || state FROM tgcluster_dialogue ORDER BY name") }
    }

    @Test func theNestedConversation_runsInItsParentsState_andReportsWhatItCollected() async throws {
        try await withBotTester(Self.bot()) { (t: BotTester) async throws in
            #expect(try await Self.texts(t.send("/add", chat: 1)).isEmpty, "outside the family the nested entry is nobody's")
            #expect(try await Self.texts(t.send("/family", chat: 1)) == ["Add members with /add; /done when done."])
            #expect(try await Self.texts(t.send("/add", chat: 1)) == ["Name?"])
            #expect(try Self.dialogues(t) == ["family:choosing", "member:name"])
            #expect(try await Self.texts(t.send("Ann", chat: 1)) == ["Age?"])
            #expect(try await Self.texts(t.send("old", chat: 1)) == ["echo: old"], "neither wants it: passed on")
            #expect(try await Self.texts(t.send("30", chat: 1)) == ["Saved.", "Members: Ann"])
            #expect(try Self.dialogues(t) == ["family:choosing"])
            #expect(try await Self.texts(t.send("/add", chat: 1)) == ["Name?"])
            #expect(try await Self.texts(t.send("Bob", chat: 1)) == ["Age?"])
            #expect(try await Self.texts(t.send("/back", chat: 1)) == ["Back.", "Members: Ann"], "ended by its own fallback")
            #expect(try await Self.texts(t.send("/done", chat: 1)) == ["Family: Ann"])
            #expect(try Self.dialogues(t).isEmpty)
        }
    }

    @Test func leavingTheParentsState_forgetsTheNestedConversation() async throws {
        try await withBotTester(Self.bot()) { (t: BotTester) async throws in
            _ = try await t.send("/family", chat: 2)
            _ = try await t.send("/add", chat: 2)
            _ = try await t.send("Cy", chat: 2)
            // The parent's command in the nested conversation's state: the nested one does not
            // want it, the parent's state does; the family ends and the member with it.
            #expect(try await Self.texts(t.send("/done", chat: 2)) == ["Family: nobody"])
            #expect(try Self.dialogues(t).isEmpty)
            _ = try await t.send("/family", chat: 2)
            #expect(try await Self.texts(t.send("41", chat: 2)) == ["echo: 41"], "a new family: no member half-way")
            _ = try await t.send("/add", chat: 2)
            #expect(try await Self.texts(t.send("/cancel", chat: 2)) == ["Cancelled."], "the parent's fallback, from inside")
            #expect(try Self.dialogues(t).isEmpty)
        }
    }

    @Test func theNestedConversation_isInTheFingerprint_andItsTimeoutIsWatched() {
        let bot = Self.bot()
        #expect(bot.conversationTimeout("member") != nil)
        #expect(bot.handlers.first?.label.contains("choosing: conversation member key=chatAndUser") == true, "\(bot.handlers.first?.label ?? "")")
        // Two builds that differ only inside the nested conversation are told apart.
        #expect(Self.bot().fingerprint == bot.fingerprint)
        #expect(Self.bot(memberTimeout: .seconds(60)).fingerprint != bot.fingerprint)
    }
}
