import BotAPI
import Foundation
import GRDB
import TGBot
import TGClusterTesting
import Testing

/// Two-step handlers in the test process (issue 16, item 6): the first step in the pool, its
/// result applied in the sequencer's transaction, the middlewares around the first step only.
@Suite("Two-step handlers")
struct TwoStepHandlerTests {
    enum Phase: String, Sendable {
        case on
    }

    struct Price: Codable, Sendable, Equatable {
        var cents: Int
    }

    static func bot(trace: RouterTests.Trace) -> Bot {
        let bot = Bot()
        bot.migration("v1") { db in try db.execute(sql: "CREATE TABLE bought(user INTEGER NOT NULL, cents INTEGER NOT NULL)") }
        bot.use { ctx, next in
            trace.add("middleware \(ctx.isSerial ? "serial" : "pool")")
            guard ctx.userID != 666 else { return }
            try await next(ctx)
        }
        let shop = Router("shop")
        shop.onCommand("buy", prepare: { ctx -> Price in
            trace.add("prepare \(ctx.isSerial ? "serial" : "pool")")
            guard let cents = Int(ctx.arguments.first ?? "") else { throw ContextError(message: "no price") }
            return Price(cents: cents)
        }, apply: { ctx, price in
            trace.add("apply \(ctx.isSerial ? "serial" : "pool")")
            try ctx.state.write { db in try db.execute(sql: "INSERT INTO bought VALUES (?, ?)", arguments: [ctx.userID, price.cents]) }
            let total = try ctx.state.read { db in try Int.fetchOne(db, sql: "SELECT SUM(cents) FROM bought") ?? 0 }
            try await ctx.reply("bought for \(price.cents), \(total) in all")
        })
        bot.include(shop)
        bot.on(.command("huge"), prepare: { _ in String(repeating: "x", count: Bot.maxPreparedBytes) }, apply: { _, _ in })
        bot.onError { error, _ in trace.add("error: \(error)") }
        return bot
    }

    @Test func theResult_isAppliedInTheSequencer_andTheMiddlewaresWrapTheFirstStep() async throws {
        let trace = RouterTests.Trace()
        try await withBotTester(Self.bot(trace: trace)) { (t: BotTester) async throws in
            #expect(try await t.send("/buy 250", chat: 5).map(\.text) == ["bought for 250, 250 in all"])
            #expect(try await t.send("/buy 100", chat: 6).map(\.text) == ["bought for 100, 350 in all"])
            #expect(try t.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bought") } == 2)
        }
        #expect(trace.all.prefix(3) == ["middleware pool", "prepare pool", "apply serial"])
    }

    @Test func aStoppedOrFailedFirstStep_appliesNothing() async throws {
        let trace = RouterTests.Trace()
        try await withBotTester(Self.bot(trace: trace)) { (t: BotTester) async throws in
            #expect(try await t.send("/buy 250", chat: 666).isEmpty, "a middleware stopped it: nothing to apply")
            await #expect(throws: BotTester.HandlerFailure.self) { try await t.send("/buy lots", chat: 5) }
            await #expect(throws: BotTester.HandlerFailure.self) { try await t.send("/huge", chat: 5) }
            #expect(try t.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bought") } == 0)
        }
        #expect(!trace.all.contains { $0.hasPrefix("apply") })
        #expect(trace.all.contains("error: no price"))
        #expect(trace.all.contains { $0.hasPrefix("error: a prepared result of \(Bot.maxPreparedBytes + 2) bytes") })
    }

    @Test func aTwoStepHandler_isNotAOneStepOne_inTheFingerprint() throws {
        let a = Bot()
        a.onCommand("buy", prepare: { _ in 1 }, apply: { _, _ in })
        let b = Bot()
        b.onCommand("buy") { _ in }
        #expect(a.fingerprint != b.fingerprint)
        #expect(a.route(try FilterTests.message("/buy"), kind: .message)?.applies == true)
        #expect(b.route(try FilterTests.message("/buy"), kind: .message)?.applies == false)
    }

    @Test func aConversation_passingAnUpdateToATwoStepHandler_saysWhy() async throws {
        let trace = RouterTests.Trace()
        let bot = Bot()
        let talk = ConversationHandler<Phase>("talk")
        talk.entry(.command("talk")) { _, _ in .next(.on) }
        talk.on(.on, .command("buy")) { _, _ in .end }   // wants /buy only while it is on
        bot.add(talk)
        bot.onCommand("buy", prepare: { _ in 1 }, apply: { _, _ in })
        bot.onError { error, _ in trace.add("\(error)") }
        try await withBotTester(bot) { (t: BotTester) async throws in
            await #expect(throws: BotTester.HandlerFailure.self) { try await t.send("/buy", chat: 5) }
            return ()
        }
        #expect(trace.all.contains { $0.contains("add it before the conversation") }, "\(trace.all)")
    }
}
