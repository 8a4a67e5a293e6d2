import BotAPI
import Foundation
import TGBot
import TGClusterTesting
import Testing

/// `ctx.userData` and `ctx.chatData`: kept across updates in the sequencer's store, written
/// with the update's transaction (or not at all), serial handlers only.
@Suite("StoredValues")
struct StoredValuesTests {
    struct Refused: Error {}

    static func bot() -> Bot {
        let bot = Bot()
        bot.onCommand("set", .serial) { ctx in
            let (user, chat) = (try ctx.userData, try ctx.chatData)
            user[ctx.arguments[0]] = ctx.arguments[1]
            chat["last"] = ctx.arguments[1]
            if ctx.arguments.count > 2 { throw Refused() }
            try await ctx.reply("ok")
        }
        bot.onCommand("get", .serial) { ctx in
            let user = try ctx.userData.all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            try await ctx.reply("user {\(user)} chat \(try ctx.chatData["last"] ?? "-")")
        }
        bot.onCommand("forget", .serial) { ctx in
            try ctx.userData.removeAll()
            try await ctx.reply("forgotten")
        }
        bot.onCommand("pool") { ctx in
            do { _ = try ctx.userData } catch { try await ctx.reply("\(error)") }
        }
        return bot
    }

    @Test func valuesOutliveTheUpdate_perUserAndPerChat_andAFailedHandlerKeepsNone() async throws {
        try await withBotTester(Self.bot()) { (t: BotTester) async throws in
            _ = try await t.send("/set colour red", chat: 1)
            _ = try await t.send("/set age 30", chat: 1)
            #expect(try await t.send("/get", chat: 1).map(\.text) == ["user {age=30,colour=red} chat 30"])
            #expect(try await t.send("/get", chat: 2).map(\.text) == ["user {} chat -"], "another user and chat")
            await #expect(throws: BotTester.HandlerFailure.self) { try await t.send("/set colour blue fail", chat: 1) }
            #expect(try await t.send("/get", chat: 1).map(\.text) == ["user {age=30,colour=red} chat 30"], "rolled back")
            _ = try await t.send("/forget", chat: 1)
            #expect(try await t.send("/get", chat: 1).map(\.text) == ["user {} chat 30"])
            #expect(try t.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tgcluster_values WHERE scope LIKE 'u%'") } == 0)
            let pool = try await t.send("/pool", chat: 1).first?.text ?? ""
            #expect(pool.contains("only for .serial handlers"), "\(pool)")
        }
    }
}
