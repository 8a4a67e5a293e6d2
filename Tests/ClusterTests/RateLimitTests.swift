import Foundation
import Locking
import Synchronization
import TGBot
import TGClusterTesting
import Testing
@testable import ClusterRuntime

/// The rate-limit middlewares and their table: one budget per user however the user's updates
/// are spread over the processes of a host.
@Suite("Rate limits")
struct RateLimitTests {
    static let second: Int64 = 1_000_000_000

    static func file() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tgc-rate-\(UUID().uuidString.prefix(8)).shm").path
    }

    @Test func twoMappingsOfOneFile_shareABudget_andTimeGivesItBack() throws {
        let path = Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = RateTable(words: try MappedWords(path: path, count: RateTable.slotCount), clock: { 0 })
        let b = RateTable(words: try MappedWords(path: path, count: RateTable.slotCount), clock: { 0 })
        let now: Int64 = 1_000 * Self.second
        // 3 at once, then one a second (3 per 3 s).
        #expect((0..<3).map { i in (i % 2 == 0 ? a : b).admit(key: 7, rate: 1, burst: 3, now: now) } == [true, true, true])
        #expect(!a.admit(key: 7, rate: 1, burst: 3, now: now) && !b.admit(key: 7, rate: 1, burst: 3, now: now))
        #expect(a.admit(key: 8, rate: 1, burst: 3, now: now), "another key has its own budget")
        #expect(b.admit(key: 7, rate: 1, burst: 3, now: now + Self.second), "a second later, one more")
        #expect(!a.admit(key: 7, rate: 1, burst: 3, now: now + Self.second))
    }

    @Test func aTimeBeyondTheBurst_isNotBelieved() throws {
        // A file that outlived a reboot holds times of the old monotonic clock: hours ahead of
        // the new one. Believed, they would refuse the user for hours.
        let path = Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let table = RateTable(words: try MappedWords(path: path, count: RateTable.slotCount), clock: { 0 })
        let oldUptime = 7_200 * Self.second
        #expect(table.admit(key: 9, rate: 1, burst: 3, now: oldUptime))
        for _ in 0..<2 { _ = table.admit(key: 9, rate: 1, burst: 3, now: oldUptime) }
        #expect(!table.admit(key: 9, rate: 1, burst: 3, now: oldUptime), "the burst is spent")
        #expect(table.admit(key: 9, rate: 1, burst: 3, now: 60 * Self.second), "after the reboot: a fresh budget")
    }

    @Test func separateTables_doNotShare() throws {
        // The failing variant: what a table per process would allow (twice the budget).
        let (p1, p2) = (Self.file(), Self.file())
        defer { for p in [p1, p2] { try? FileManager.default.removeItem(atPath: p) } }
        let a = RateTable(words: try MappedWords(path: p1, count: RateTable.slotCount), clock: { 0 })
        let b = RateTable(words: try MappedWords(path: p2, count: RateTable.slotCount), clock: { 0 })
        let admitted = (0..<6).filter { i in (i % 2 == 0 ? a : b).admit(key: 7, rate: 1, burst: 3, now: Self.second) }
        #expect(admitted.count == 6)
    }

    static func bot() -> Bot {
        let bot = Bot()
        bot.use(RateLimit.perUser(3, per: .seconds(60)) { ctx in try await ctx.reply("Slow down.") })
        bot.onCommand("note", .serial) { ctx in try await ctx.reply("noted") }
        bot.onText { ctx in try await ctx.reply(ctx.text ?? "") }
        return bot
    }

    @Test func perUser_letsTheBurstThrough_thenRunsWhenLimited_inBothModes() async throws {
        try await withBotTester(Self.bot()) { (t: BotTester) async throws in
            var replies: [String] = []
            for text in ["a", "/note", "b", "c", "/note"] { replies += try await t.send(text, chat: 1).compactMap(\.text) }
            #expect(replies == ["a", "noted", "b", "Slow down.", "Slow down."], "serial and concurrent updates count together")
            #expect(try await t.send("hi", chat: 2).compactMap(\.text) == ["hi"], "another user has a budget of their own")
        }
    }
}
