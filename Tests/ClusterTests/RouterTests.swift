import BotAPI
import Foundation
import Locking
import Synchronization
import TGBot
import TGClusterTesting
import Testing

/// Routers and middlewares: a router's handlers take their place in the table where it is
/// included, behind its filter; middlewares wrap handlers in a defined order and can stop an
/// update.
@Suite("Routers and middlewares")
struct RouterTests {
    /// What the middlewares saw, in order.
    final class Trace: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ s: String) { entries.locked { $0.append(s) } }
        var all: [String] { entries.locked { $0 } }
    }

    static func bot(trace: Trace) -> Bot {
        let bot = Bot()
        bot.use { ctx, next in
            trace.add("bot:before")
            try await next(ctx)
            trace.add("bot:after")
        }
        // Access control as a middleware: user 666 gets nothing, whatever the handler.
        bot.use { ctx, next in
            guard ctx.userID != 666 else { return trace.add("refused") }
            try await next(ctx)
        }
        let admin = Router("admin", filter: .users(42))
        admin.use { ctx, next in
            trace.add("admin:before")
            try await next(ctx)
        }
        admin.onCommand("stats") { ctx in try await ctx.reply("stats for the admin") }
        let reports = Router("reports")
        reports.onCommand("report", .serial) { ctx in try await ctx.reply("report (serial)") }
        admin.include(reports)
        let games = Router("games")
        games.onCommand("dice") { ctx in try await ctx.reply("4") }
        bot.include(admin)
        bot.include(games)
        bot.onCommand("stats") { ctx in try await ctx.reply("stats are for admins") }
        bot.onCommand("report") { ctx in try await ctx.reply("reports are for admins") }
        return bot
    }

    @Test func aRoutersHandlers_standWhereItIsIncluded_behindItsFilter() async throws {
        let trace = Trace()
        try await withBotTester(Self.bot(trace: trace)) { (t: BotTester) async throws in
            #expect(try await t.send("/stats", chat: 42).map(\.text) == ["stats for the admin"])
            #expect(try await t.send("/stats", chat: 7).map(\.text) == ["stats are for admins"], "the router's filter refused: on to the next")
            #expect(try await t.send("/report", chat: 42).map(\.text) == ["report (serial)"], "a nested router, in the sequencer")
            #expect(try await t.send("/report", chat: 7).map(\.text) == ["reports are for admins"])
            #expect(try await t.send("/dice", chat: 7).map(\.text) == ["4"])
        }
        #expect(trace.all.prefix(4) == ["bot:before", "admin:before", "bot:after", "bot:before"], "\(trace.all)")
    }

    @Test func middlewares_runInOrder_andOneCanStopTheUpdate() async throws {
        let trace = Trace()
        try await withBotTester(Self.bot(trace: trace)) { (t: BotTester) async throws in
            #expect(try await t.send("/dice", chat: 666).isEmpty)
            #expect(try await t.send("/report", chat: 666).isEmpty, "serial handlers too")
        }
        #expect(trace.all == ["bot:before", "refused", "bot:after", "bot:before", "refused", "bot:after"])
    }

    @Test func theLayout_isInTheFingerprint() {
        let a = Self.bot(trace: Trace())
        #expect(a.fingerprint == Self.bot(trace: Trace()).fingerprint)
        let b = Bot()
        b.include(Router("games"))
        b.onCommand("stats") { _ in }
        let c = Bot()
        let r = Router("admin", filter: .users(42))
        r.onCommand("stats") { _ in }
        c.include(r)
        #expect(b.fingerprint != c.fingerprint)
        #expect(c.handlers.map(\.label) == ["router admin: (users [42] && command /stats)"])
    }
}
