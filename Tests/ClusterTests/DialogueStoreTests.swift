import Foundation
import GRDB
import TGBot
import Testing
@testable import ClusterRuntime

/// Conversations' rows against an in-memory database: a record comes back as it went, and a
/// store of schema v2 keeps its `ctx.conversation` dialogues across the move to v3.
@Suite("DialogueStore")
struct DialogueStoreTests {
    static let v1Conversations = """
        CREATE TABLE tgcluster_conversation (
            chat_id INTEGER NOT NULL, user_id INTEGER NOT NULL, state TEXT, data TEXT NOT NULL DEFAULT '{}',
            updated_at REAL NOT NULL, PRIMARY KEY (chat_id, user_id))
        """

    @Test func aRecord_comesBackAsItWent_andNilForgetsIt() throws {
        let db = try DatabaseQueue()
        let record = DialogueRecord(state: "age", data: ["name": "Ann"], expiresAt: Date(timeIntervalSince1970: 1_790_000_000.5),
                                    lastUpdate: Data(#"{"update_id":3}"#.utf8))
        try db.write { db in
            try db.execute(sql: Self.v1Conversations)
            try DialogueStore.create(db)
            try DialogueStore.write(db, record, name: "signup", key: "c1/u2", now: Date())
        }
        #expect(try db.read { try DialogueStore.read($0, name: "signup", key: "c1/u2") } == record)
        #expect(try db.read { try DialogueStore.read($0, name: "other", key: "c1/u2") } == nil)
        try db.write { db in try DialogueStore.write(db, nil, name: "signup", key: "c1/u2", now: Date()) }
        #expect(try db.read { try DialogueStore.read($0, name: "signup", key: "c1/u2") } == nil)
    }

    @Test func theMoveToV3_keepsEveryDialogueOfCtxConversation() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: Self.v1Conversations)
            try db.execute(sql: #"INSERT INTO tgcluster_conversation VALUES (-100, 7, 'age', '{"name":"Ada"}', 0), (5, 5, NULL, '{}', 0)"#)
            try DialogueStore.create(db)
        }
        let moved = try db.read { try DialogueStore.read($0, name: "", key: "c-100/u7") }
        #expect(moved?.state == "age" && moved?.data == ["name": "Ada"] && moved?.expiresAt == nil)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM tgcluster_dialogue") } == 1, "a row without a state is no dialogue")
        #expect(try db.read { try $0.tableExists("tgcluster_conversation") } == false)
    }
}
