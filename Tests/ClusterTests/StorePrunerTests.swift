import Foundation
import GRDB
import TGBot
import Testing
@testable import ClusterRuntime

/// The sequencer's own tables stay bounded (issue 13, item 4): rows past their week go, the
/// rows a guarantee still needs stay, and a commit prunes on its own.
@Suite("StorePruner")
struct StorePrunerTests {
    static let day: TimeInterval = 86_400
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Rows of every table, `age` days old (schedule rows finished or not as `next_run` says).
    static func fill(_ db: Database, id: Int64, age: Double, group: Int64? = nil) throws {
        let t = now.timeIntervalSince1970 - age * day
        try db.execute(sql: "INSERT INTO tgcluster_applied VALUES (?, 0, 'ok', NULL, ?, ?)", arguments: [id, t, group ?? id])
        for status in ["ok", "pending"] {
            try db.execute(sql: """
                INSERT INTO tgcluster_outbox(update_id, kind, name, input, key_kind, key_id, status, created_at, finished_at)
                VALUES (?, 1, 'sendMessage', x'7b7d', 1, 7, ?, ?, ?)
                """, arguments: [id, status, t, status == "ok" ? t : nil])
        }
        try db.execute(sql: "INSERT INTO tgcluster_firing VALUES (?, ?, ?, 0)", arguments: [id, t, t])
        for nextRun in [nil, t + 3600] as [Double?] {
            try db.execute(sql: """
                INSERT INTO tgcluster_schedule(name, callback, payload, trigger, misfire, grace, next_run, last_run, created_at)
                VALUES ('n', 'beep', x'7b7d', '{}', 'once', 1, ?, ?, ?)
                """, arguments: [nextRun, t, t])
        }
    }

    static func counts(_ db: Database) throws -> [Int] {
        try ["tgcluster_applied", "tgcluster_outbox", "tgcluster_firing", "tgcluster_schedule"].map {
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? -1
        }
    }

    static func store() throws -> (StateStore, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-prune-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (try StateStore(path: dir.appendingPathComponent("state.sqlite").path, migrations: []), dir)
    }

    @Test func rowsPastTheWeek_go_andWhatAGuaranteeNeeds_stays() throws {
        let (store, dir) = try Self.store()
        defer { try? store.close(); try? FileManager.default.removeItem(at: dir) }
        try store.access { db in
            for (id, age) in [(1, 30.0), (2, 8), (3, 6), (4, 1)] as [(Int64, Double)] { try Self.fill(db, id: id, age: age) }
            #expect(try Self.counts(db) == [4, 8, 4, 8])
            let pruned = try StorePruner.prune(db, now: Self.now)
            #expect(pruned == .init(applied: 2, outbox: 2, firings: 2, schedules: 2))
            // Left: the young rows, every pending outbox row, every job that will run again.
            #expect(try Self.counts(db) == [2, 6, 2, 6])
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tgcluster_outbox WHERE status = 'pending'") == 4)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tgcluster_schedule WHERE next_run IS NOT NULL") == 4)
            #expect(try StorePruner.prune(db, now: Self.now).total == 0, "nothing more")
        }
    }

    @Test func theNewestAppliedRow_stays_andALimitTrimsOverSeveralRuns() throws {
        let (store, dir) = try Self.store()
        defer { try? store.close(); try? FileManager.default.removeItem(at: dir) }
        try store.access { db in
            for id in 1...5 as ClosedRange<Int64> { try Self.fill(db, id: id, age: 30) }
            #expect(try StorePruner.prune(db, now: Self.now, limit: 3).applied == 3)
            #expect(try StorePruner.prune(db, now: Self.now, limit: 3).applied == 1, "the newest stays: groups number on from it")
            #expect(try AppliedStore.lastGroup(db) == 5)
        }
    }

    @Test func aCommit_prunesOnItsOwn() async throws {
        let f = try GroupCommitTests.Fixture(bot: GroupCommitTests.bot(runs: Counter()))
        defer { f.close() }
        try f.store.access { db in
            // Older than any date this test runs on, plus a week; from groups before the store's.
            try Self.fill(db, id: 1, age: 4000, group: 0)
            try Self.fill(db, id: 2, age: 3000, group: 0)
        }
        _ = try await f.commit.commit([try f.job(1, update: 10, text: "/add 5")], finished: [], fireTimers: false)
        let left = try f.store.access { db in try Int.fetchAll(db, sql: "SELECT update_id FROM tgcluster_applied ORDER BY update_id") }
        #expect(left == [10], "the two old rows went; the commit's own stays")
    }
}
