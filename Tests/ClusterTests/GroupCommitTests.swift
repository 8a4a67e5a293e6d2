import BotAPI
import Foundation
import GRDB
import TGBot
import Testing
import Wire
@testable import ClusterRuntime

/// The sequencer's group commit without sockets or processes: a real SQLite store in a
/// temporary directory, a bot with serial handlers, jobs in, acknowledgements and outbox rows
/// out.
@Suite("GroupCommit")
struct GroupCommitTests {

    /// A bot whose `/add N` adds N to a counter and replies (deferred), whose `/fail` writes and
    /// then throws, and whose error handler replies. `runs` counts handler runs.
    static func bot(runs: Counter) -> Bot {
        let bot = Bot()
        bot.migration("counter") { db in
            try db.execute(sql: "CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
            try db.execute(sql: "INSERT INTO counter VALUES (1, 0)")
            // Checked at COMMIT only: a group holding an orphan cannot commit.
            try db.execute(sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            try db.execute(sql: "CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
        }
        bot.onCommand("add", .serial) { ctx in
            runs.add()
            let n = Int(ctx.arguments.first ?? "") ?? 0
            try ctx.state.write { db in try db.execute(sql: "UPDATE counter SET value = value + ?", arguments: [n]) }
            try await ctx.reply("added \(n)")
        }
        bot.onCommand("fail", .serial) { ctx in
            runs.add()
            try ctx.state.write { db in try db.execute(sql: "UPDATE counter SET value = value + 1000") }
            try await ctx.reply("never sent")
            throw ContextError(message: "refused")
        }
        bot.onCommand("orphan", .serial) { ctx in
            try ctx.state.write { db in try db.execute(sql: "INSERT INTO child VALUES (99)") }
        }
        bot.onError { _, ctx in _ = try? await ctx?.reply("sorry") }
        return bot
    }

    struct Fixture {
        let directory: URL
        let store: StateStore
        let commit: GroupCommit
        let bot: Bot

        init(bot: Bot) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-group-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            store = try StateStore(path: directory.appendingPathComponent("state.sqlite").path, migrations: bot.migrations)
            // Never called: a serial handler's calls become outbox rows.
            let client = BotClient(configuration: .init(token: "1:unused", apiURL: "http://127.0.0.1:9"))
            commit = try GroupCommit(bot: bot, store: store, client: client, logger: .init(label: "test"), watchdog: nil)
            self.bot = bot
        }

        func job(_ id: UInt64, update: Int64, text: String) throws -> Job {
            let bytes = Data(#"{"update_id":\#(update),"message":{"message_id":1,"date":0,"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"A"},"text":"\#(text)"}}"#.utf8)
            let envelope = UpdateEnvelope(try UpdateScanner.scanUpdate(bytes), in: bytes)
            let route = try #require(bot.route(envelope.raw, kind: envelope.kind))
            return Job(id: id, attempt: 1, payload: .update(handler: route.handler, envelope))
        }

        func counter() throws -> Int {
            try store.access { db in try Int.fetchOne(db, sql: "SELECT value FROM counter") ?? -1 }
        }

        func close() {
            try? store.close()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func replyText(_ e: Emission) -> String? {
        guard case .call(let method, let parameters, _) = e.action, method == "sendMessage",
              let object = try? JSONSerialization.jsonObject(with: parameters) as? [String: Any] else { return nil }
        return object["text"] as? String
    }

    @Test func aGroup_appliesEachUpdateOnce_andItsRepliesBecomeOutboxRowsInOrder() async throws {
        let runs = Counter()
        let f = try Fixture(bot: Self.bot(runs: runs))
        defer { f.close() }
        let jobs = [try f.job(1, update: 10, text: "/add 5"), try f.job(2, update: 11, text: "/add 7")]
        let result = try await f.commit.commit(jobs, finished: [], fireTimers: false)
        #expect(result.dones.map(\.jobID) == [1, 2])
        #expect(result.dones.allSatisfy { $0.outcome == Outcome.ok })
        #expect(result.emissions.compactMap(Self.replyText) == ["added 5", "added 7"])
        #expect(try f.counter() == 12)
        // The same updates again (a redelivery after a crash of the broker): acknowledged, not run.
        let again = try await f.commit.commit(jobs, finished: [], fireTimers: false)
        #expect(again.dones.allSatisfy { $0.outcome == Outcome.ok })
        #expect(again.emissions.isEmpty)
        #expect(runs.value == 2)
        #expect(try f.counter() == 12)
        // Rows stay pending until the broker reports them run; then they are not sent again.
        #expect(try f.store.access { try OutboxStore.pending($0) }.count == 2)
        _ = try await f.commit.commit([], finished: result.emissions.map { ($0.outboxID, Outcome.ok, Data()) }, fireTimers: false)
        #expect(try f.store.access { try OutboxStore.pending($0) }.isEmpty)
    }

    @Test func aHandlerThatThrows_isRolledBack_recordedFailed_andOnlyTheErrorHandlersReplyIsKept() async throws {
        let runs = Counter()
        let f = try Fixture(bot: Self.bot(runs: runs))
        defer { f.close() }
        let result = try await f.commit.commit([try f.job(1, update: 20, text: "/add 1"), try f.job(2, update: 21, text: "/fail"),
                                                try f.job(3, update: 22, text: "/add 2")], finished: [], fireTimers: false)
        #expect(result.dones.map(\.outcome) == [Outcome.ok, .failed, .ok])
        #expect(String(decoding: result.dones[1].output, as: UTF8.self).contains("refused"))
        #expect(result.emissions.compactMap(Self.replyText) == ["added 1", "sorry", "added 2"])
        #expect(try f.counter() == 3)
        // Recorded as applied with its error: a redelivery does not run it again.
        _ = try await f.commit.commit([try f.job(4, update: 21, text: "/fail")], finished: [], fireTimers: false)
        #expect(runs.value == 3)
    }

    @Test func aGroupThatCannotCommit_leavesNothing() async throws {
        let runs = Counter()
        let f = try Fixture(bot: Self.bot(runs: runs))
        defer { f.close() }
        // The orphan's deferred foreign key fails the COMMIT: the whole group is undone.
        await #expect(throws: (any Error).self) {
            _ = try await f.commit.commit([try f.job(1, update: 30, text: "/add 5"), try f.job(2, update: 31, text: "/orphan")],
                                          finished: [], fireTimers: false)
        }
        #expect(try f.counter() == 0)
        #expect(try f.store.access { try OutboxStore.pending($0) }.isEmpty)
        #expect(try f.store.access { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tgcluster_applied") } == 0)
        // Delivered again (without the orphan): it runs again, and counts once.
        let result = try await f.commit.commit([try f.job(3, update: 30, text: "/add 5")], finished: [], fireTimers: false)
        #expect(result.emissions.compactMap(Self.replyText) == ["added 5"])
        #expect(try f.counter() == 5)
        #expect(runs.value == 2)
    }
}
