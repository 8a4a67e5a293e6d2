import BotAPI
import Foundation
import GRDB
import Testing
import Wire
@testable import ClusterRuntime

/// The outbox's rows against an in-memory database: typed actions in, the same out.
@Suite("OutboxStore")
struct OutboxStoreTests {
    static let v1Schema = """
        CREATE TABLE tgcluster_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT, update_id INTEGER, name TEXT NOT NULL, input BLOB NOT NULL,
            key_kind INTEGER NOT NULL, key_id INTEGER NOT NULL, status TEXT NOT NULL, output BLOB,
            created_at REAL NOT NULL, finished_at REAL)
        """

    static func store() throws -> DatabaseQueue {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: v1Schema)
            try OutboxStore.migrateToKinds(db)
        }
        return db
    }

    static let firing = TimerFiring(scheduleID: 4, name: "timer-7", callback: "beep", payload: Data("30".utf8), chatID: 7, userID: nil,
                                    scheduledFor: 1_790_000_000.5)

    @Test func everyActionKind_comesBackAsItWent_inEmissionOrder_untilFinished() throws {
        let db = try Self.store()
        let actions: [(OutboxAction, RoutingKey?)] = [
            (.call(method: "sendMessage", parameters: Data(#"{"chat_id":7,"text":"a\nb"}"#.utf8), updateID: 1), .chat(7)),
            (.job(name: "square", input: Data("3".utf8)), .user(9)),
            (.fire(Self.firing), nil),
            (.handler(index: 3, update: Data(#"{"update_id":5}"#.utf8)), .chat(7)),
        ]
        let sent = try db.write { db in try actions.map { try OutboxStore.insert(db, updateID: 1, action: $0.0, key: $0.1) } }
        #expect(sent.map(\.outboxID) == [1, 2, 3, 4])
        #expect(try db.read { try OutboxStore.pending($0) } == sent)
        try db.write { db in try OutboxStore.finish(db, [(id: 2, outcome: .ok, output: Data("9".utf8))], now: Date()) }
        #expect(try db.read { try OutboxStore.pending($0) }.map(\.outboxID) == [1, 3, 4])
        let looked = try db.read { try OutboxStore.lookup($0, id: 2) }
        #expect(looked?.status == .ok && looked?.output == Data("9".utf8))
        // A second report of the same row does not change its first outcome.
        try db.write { db in try OutboxStore.finish(db, [(id: 2, outcome: .failed, output: Data("late".utf8))], now: Date()) }
        #expect(try db.read { try OutboxStore.lookup($0, id: 2) }?.status == .ok)
    }

    /// A data dir written by protocol v2 keeps its pending calls and firings across the upgrade.
    @Test func version1Rows_withReservedNames_becomeTypedActions() throws {
        let db = try DatabaseQueue()
        struct V1Firing: Encodable {
            var scheduleID: Int64, name: String, callback: String, payload: Data, chatID: Int64?, userID: Int64?, scheduledFor: Date
        }
        let due = Date(timeIntervalSince1970: 1_790_000_000.5)
        try db.write { db in
            try db.execute(sql: Self.v1Schema)
            let v1Firing = try JSONEncoder().encode(V1Firing(scheduleID: 4, name: "timer-7", callback: "beep", payload: Data("30".utf8),
                                                             chatID: 7, userID: nil, scheduledFor: due))
            for (name, input) in [("tgcluster.send", Data("sendMessage\n{\"chat_id\":7}".utf8)), ("tgcluster.fire", v1Firing),
                                  ("square", Data("3".utf8))] {
                try db.execute(sql: "INSERT INTO tgcluster_outbox(name, input, key_kind, key_id, status, created_at) VALUES (?, ?, 1, 7, 'pending', 0)",
                               arguments: [name, input])
            }
            try OutboxStore.migrateToKinds(db)
        }
        let pending = try db.read { try OutboxStore.pending($0) }
        #expect(pending.map(\.action) == [.call(method: "sendMessage", parameters: Data("{\"chat_id\":7}".utf8), updateID: nil), .fire(Self.firing),
                                          .job(name: "square", input: Data("3".utf8))])
        #expect(pending.allSatisfy { $0.key == .chat(7) })
    }
}
