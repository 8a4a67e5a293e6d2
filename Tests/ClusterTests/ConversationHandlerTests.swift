import BotAPI
import Foundation
import TGBot
import TGClusterTesting
import Testing

/// Declared conversations (`ConversationHandler`) on the roles' own code: states routed without
/// a catch-all switch, updates no state wants passed on to the handlers after it, state kept in
/// the sequencer's store and changed only by a step that succeeds.
@Suite("Conversations")
struct ConversationHandlerTests {
    struct Boom: Error {}

    enum Signup: String { case name, age }

    static func bot(timeout: Duration? = nil, key: ConversationKey = .chatAndUser) -> Bot {
        let bot = Bot()
        bot.onCommand("before") { ctx in try await ctx.reply("before the conversation") }
        let signup = ConversationHandler<Signup>("signup", key: key, timeout: timeout)
        signup.entry(.command("signup")) { ctx, _ in
            try await ctx.reply("Your name?")
            return .next(.name)
        }
        signup.on(.name, .text && !.command) { ctx, talk in
            if ctx.text == "boom" { throw Boom() }
            talk["name"] = ctx.text
            try await ctx.reply("Your age?")
            return .next(.age)
        }
        signup.on(.age, .text(matching: "^[0-9]+$")) { ctx, talk in
            try await ctx.reply("Thanks, \(talk["name"] ?? "?") (\(ctx.text ?? ""))")
            return .end
        }
        signup.onTimeout { ctx, talk in
            try await ctx.reply("Timed out in \(talk.state?.rawValue ?? "-"), \(talk["name"] ?? "?")")
        }
        signup.fallback(.command("cancel")) { ctx, talk in
            try await ctx.reply("Cancelled in \(talk.state?.rawValue ?? "-")")
            return .end
        }
        bot.add(signup)
        bot.onCommand("count", .serial) { ctx in
            try ctx.state.write { db in try db.execute(sql: "INSERT INTO seen(text) VALUES (?)", arguments: [ctx.text ?? ""]) }
            try await ctx.reply("counted")
        }
        bot.onText { ctx in try await ctx.reply("echo: \(ctx.text ?? "")") }
        bot.migration("seen") { db in try db.execute(sql: "CREATE TABLE seen(text TEXT)") }
        return bot
    }

    static func texts(_ calls: [BotCall]) -> [String] { calls.compactMap(\.text) }

    @Test func eachStateTakesItsOwnUpdates_andTheRestGoOnToTheHandlersAfterIt() async throws {
        try await withBotTester(Self.bot()) { (t: BotTester) async throws in
            #expect(try await Self.texts(t.send("hello", chat: 1)) == ["echo: hello"])
            #expect(try await Self.texts(t.send("/signup", chat: 1)) == ["Your name?"])
            #expect(try await Self.texts(t.send("Ann", chat: 1)) == ["Your age?"])
            // Not an age: the age state does not want it, so the concurrent echo gets it (passed on,
            // after the commit) and the conversation stays where it was.
            #expect(try await Self.texts(t.send("old", chat: 1)) == ["echo: old"])
            // A serial handler after the conversation runs in the same transaction.
            #expect(try await Self.texts(t.send("/count", chat: 1)) == ["counted"])
            #expect(try t.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM seen") } == 1)
            // A handler before the conversation is not affected by it.
            #expect(try await Self.texts(t.send("/before", chat: 1)) == ["before the conversation"])
            #expect(try await Self.texts(t.send("30", chat: 1)) == ["Thanks, Ann (30)"])
            #expect(try t.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tgcluster_dialogue") } == 0)
            #expect(try await Self.texts(t.send("30", chat: 1)) == ["echo: 30"])
        }
    }

    @Test func keysAreSeparate_fallbacksApplyInEveryState() async throws {
        try await withBotTester(Self.bot()) { (t: BotTester) async throws in
            _ = try await t.send("/signup", chat: 1)
            _ = try await t.send("/signup", chat: 2)
            #expect(try await Self.texts(t.send("Ann", chat: 1)) == ["Your age?"])
            #expect(try await Self.texts(t.send("Bob", chat: 2)) == ["Your age?"])
            #expect(try await Self.texts(t.send("/cancel", chat: 2)) == ["Cancelled in age"])
            #expect(try await Self.texts(t.send("41", chat: 2)) == ["echo: 41"])
            #expect(try await Self.texts(t.send("40", chat: 1)) == ["Thanks, Ann (40)"])
            // Outside a conversation the fallbacks do not apply: /cancel goes on (no handler wants it).
            #expect(try await Self.texts(t.send("/cancel", chat: 1)) == [])
        }
    }

    @Test func aStepThatThrows_leavesTheConversationWhereItWas() async throws {
        try await withBotTester(Self.bot()) { (t: BotTester) async throws in
            _ = try await t.send("/signup", chat: 3)
            await #expect(throws: BotTester.HandlerFailure.self) { try await t.send("boom", chat: 3) }
            let state = try t.read { db in try String.fetchOne(db, sql: "SELECT state FROM tgcluster_dialogue") }
            #expect(state == "name")
            #expect(try await Self.texts(t.send("Cy", chat: 3)) == ["Your age?"])
        }
    }

    /// Deterministic: the test reads the stored deadline and moves it into the past instead of
    /// sleeping (a 300-ms timeout once ran out between two updates in the loaded suite).
    @Test func aConversationLeftAlonePastItsTimeout_isOver() async throws {
        try await withBotTester(Self.bot(timeout: .seconds(60))) { (t: BotTester) async throws in
            _ = try await t.send("/signup", chat: 4)
            let before = Date().timeIntervalSince1970
            #expect(try await Self.texts(t.send("Di", chat: 4)) == ["Your age?"])
            let after = Date().timeIntervalSince1970
            let deadline = try t.read { db in try Double.fetchOne(db, sql: "SELECT expires_at FROM tgcluster_dialogue") } ?? 0
            #expect(deadline >= before + 60 && deadline <= after + 60, "each step sets the deadline a timeout ahead")
            // The failing variant first: before the deadline the conversation goes on.
            #expect(try await Self.texts(t.send("/cancel", chat: 4)) == ["Cancelled in age"])
            _ = try await t.send("/signup", chat: 4)
            _ = try await t.send("Di", chat: 4)
            try t.read { db in try db.execute(sql: "UPDATE tgcluster_dialogue SET expires_at = ?", arguments: [Date().timeIntervalSince1970 - 1]) }
            #expect(try await Self.texts(t.send("50", chat: 4)) == ["echo: 50"])
            #expect(try t.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tgcluster_dialogue") } == 0)
        }
    }

    @Test func theTimeoutHandler_runsWhenTheDeadlinePasses_withTheLastUpdatesChatAndTheValues() async throws {
        try await withBotTester(Self.bot(timeout: .seconds(60))) { (t: BotTester) async throws in
            _ = try await t.send("/signup", chat: 6)
            _ = try await t.send("Flo", chat: 6)
            // The failing variant first: nothing is due before the deadline.
            #expect(try await t.fireDueTimers().isEmpty)
            try t.read { db in try db.execute(sql: "UPDATE tgcluster_dialogue SET expires_at = ?", arguments: [Date().timeIntervalSince1970 - 1]) }
            let calls = try await t.fireDueTimers()
            #expect(Self.texts(calls) == ["Timed out in age, Flo"])
            #expect(calls.first?.chatID == 6)
            #expect(try t.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tgcluster_dialogue") } == 0)
            #expect(try await t.fireDueTimers().isEmpty, "once")
            #expect(try await Self.texts(t.send("50", chat: 6)) == ["echo: 50"])
        }
    }

    @Test func perChat_oneDialogueWhoeverWrites() async throws {
        try await withBotTester(Self.bot(key: .chat)) { (t: BotTester) async throws in
            let group: Int64 = -100
            func message(_ text: String, from user: Int64) -> [String: Any] {
                ["message": ["message_id": Int.random(in: 1...1_000_000), "date": 0, "text": text,
                             "chat": ["id": group, "type": "group", "title": "g"], "from": ["id": user, "is_bot": false, "first_name": "u"]]]
            }
            _ = try await t.feed([message("/signup", from: 1)])
            #expect(try await Self.texts(t.feed([message("Eve", from: 2)])) == ["Your age?"])
            #expect(try await Self.texts(t.feed([message("20", from: 3)])) == ["Thanks, Eve (20)"])
        }
    }

    @Test func theLabel_namesTheWholeStructure_soTheFingerprintSeesIt() {
        let a = Self.bot().fingerprint
        let b = Self.bot(timeout: .seconds(5)).fingerprint
        #expect(a != b)
        #expect(a == Self.bot().fingerprint)
    }
}
