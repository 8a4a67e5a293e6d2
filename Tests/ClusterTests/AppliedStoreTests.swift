import Foundation
import GRDB
import Testing
@testable import ClusterRuntime

/// The group commit's bookkeeping against an in-memory database: what makes a serial update
/// apply exactly once, and its outbox rows go out once committed.
@Suite("AppliedStore")
struct AppliedStoreTests {
    static func store() throws -> DatabaseQueue {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: """
                CREATE TABLE tgcluster_applied (update_id INTEGER PRIMARY KEY, digest INTEGER NOT NULL, outcome TEXT NOT NULL,
                    error TEXT, applied_at REAL NOT NULL, commit_group INTEGER NOT NULL)
                """)
            try db.execute(sql: OutboxStoreTests.v1Schema)
            try OutboxStore.migrateToKinds(db)
        }
        return db
    }

    let now = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func anUpdate_isNewUntilRecorded_thenApplied_andAReusedIDIsNewAfterADay() throws {
        let db = try Self.store()
        let bytes = Data(#"{"update_id":5,"message":{"text":"/pay 10"}}"#.utf8)
        let digest = AppliedStore.digest(bytes)
        #expect(try db.read { try AppliedStore.verdict($0, updateID: 5, digest: digest, now: now) } == .new)
        try db.write { try AppliedStore.record($0, updateID: 5, digest: digest, failed: nil, now: now, group: 1) }
        #expect(try db.read { try AppliedStore.verdict($0, updateID: 5, digest: digest, now: now) } == .applied)
        let other = AppliedStore.digest(Data(#"{"update_id":5,"message":{"text":"/pay 99"}}"#.utf8))
        #expect(other != digest)
        #expect(try db.read { try AppliedStore.verdict($0, updateID: 5, digest: other, now: now.addingTimeInterval(3600)) } == .appliedWithOtherBytes)
        #expect(try db.read { try AppliedStore.verdict($0, updateID: 5, digest: other, now: now.addingTimeInterval(86_401)) } == .new)
        #expect(try db.read { try AppliedStore.lastGroup($0) } == 1)
    }

    /// A group that does not commit leaves nothing: neither the applied rows nor the outbox
    /// rows its handlers emitted, so the redelivered updates run again and emit again, once.
    @Test func aGroupRolledBack_leavesNoAppliedRowAndNoOutboxRow_aCommittedOneLeavesBoth() throws {
        let db = try Self.store()
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try db.write { db in
                for id in Int64(1)...3 {
                    try AppliedStore.record(db, updateID: id, digest: id, failed: nil, now: now, group: 7)
                    _ = try OutboxStore.insert(db, updateID: id, action: .call(method: "sendMessage", parameters: Data("{}".utf8), updateID: nil), key: .chat(id))
                }
                throw Crash()
            }
        }
        #expect(try db.read { try AppliedStore.verdict($0, updateID: 2, digest: 2, now: now) } == .new)
        #expect(try db.read { try OutboxStore.pending($0) }.isEmpty)
        try db.write { db in
            for id in Int64(1)...3 {
                try AppliedStore.record(db, updateID: id, digest: id, failed: id == 2 ? "boom" : nil, now: now, group: 8)
                _ = try OutboxStore.insert(db, updateID: id, action: .call(method: "sendMessage", parameters: Data("{}".utf8), updateID: nil), key: .chat(id))
            }
        }
        #expect(try db.read { try OutboxStore.pending($0) }.map(\.key) == [.chat(1), .chat(2), .chat(3)])
        #expect(try db.read { try String.fetchOne($0, sql: "SELECT outcome FROM tgcluster_applied WHERE update_id = 2") } == "failed")
        #expect(try db.read { try AppliedStore.lastGroup($0) } == 8)
    }
}
