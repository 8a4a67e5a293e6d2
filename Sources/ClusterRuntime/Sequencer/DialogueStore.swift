import Foundation
import GRDB
import TGBot

/// The declared conversations' table (`tgcluster_dialogue`) and the one place its SQL lives:
/// per conversation name and key (`c<chat>/u<user>`, …), the state, the values collected
/// (JSON), when it times out, and the update that last moved it.
enum DialogueStore {
    static func read(_ db: Database, name: String, key: String) throws -> DialogueRecord? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM tgcluster_dialogue WHERE name = ? AND key = ?", arguments: [name, key]).map(record)
    }

    private static let columns = "name, key, state, data, expires_at, last_update"

    private static func record(_ row: Row) -> DialogueRecord {
        let expires: Double? = row["expires_at"]
        return DialogueRecord(state: row["state"], data: ValuesStore.decode(row["data"]), expiresAt: expires.map(Date.init(timeIntervalSince1970:)),
                              lastUpdate: row["last_update"])
    }

    /// Stores `record`, or forgets the conversation when it is nil.
    static func write(_ db: Database, _ record: DialogueRecord?, name: String, key: String, now: Date) throws {
        guard let record else {
            try db.execute(sql: "DELETE FROM tgcluster_dialogue WHERE name = ? AND key = ?", arguments: [name, key])
            return
        }
        let json = try ValuesStore.encode(record.data)
        try db.execute(sql: """
            INSERT INTO tgcluster_dialogue(name, key, state, data, expires_at, last_update, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(name, key) DO UPDATE SET state = excluded.state, data = excluded.data, expires_at = excluded.expires_at,
                last_update = excluded.last_update, updated_at = excluded.updated_at
            """, arguments: [name, key, record.state, json, record.expiresAt?.timeIntervalSince1970, record.lastUpdate, now.timeIntervalSince1970])
    }

    /// The earliest conversation deadline, for the sequencer's one timer.
    static func nextDeadline(_ db: Database) throws -> Date? {
        try Double.fetchOne(db, sql: "SELECT MIN(expires_at) FROM tgcluster_dialogue WHERE expires_at IS NOT NULL")
            .map(Date.init(timeIntervalSince1970:))
    }

    /// Removes up to `limit` conversations whose deadline passed by `now` and answers them,
    /// earliest first (their timeout handlers run in the same transaction).
    static func takeExpired(_ db: Database, now: Date, limit: Int = 1000) throws -> [(name: String, key: String, record: DialogueRecord)] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(columns) FROM tgcluster_dialogue WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?
            """, arguments: [now.timeIntervalSince1970, limit])
        return try rows.map { row in
            let (name, key): (String, String) = (row["name"], row["key"])
            try write(db, nil, name: name, key: key, now: now)
            return (name, key, record(row))
        }
    }

    /// Schema v3: the table, with the v1 table `tgcluster_conversation` (`ctx.conversation`)
    /// moved into it under the empty name.
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE tgcluster_dialogue (
                name TEXT NOT NULL,              -- the conversation's name
                key TEXT NOT NULL,               -- c<chat>, u<user>, c<chat>/u<user> or c<chat>/m<message>
                state TEXT NOT NULL,
                data TEXT NOT NULL DEFAULT '{}', -- the values collected (JSON)
                expires_at REAL,                 -- NULL: no timeout
                last_update BLOB NOT NULL,       -- the update that last moved it
                updated_at REAL NOT NULL,
                PRIMARY KEY (name, key)
            );
            CREATE INDEX tgcluster_dialogue_expiry ON tgcluster_dialogue(expires_at) WHERE expires_at IS NOT NULL;
            INSERT INTO tgcluster_dialogue(name, key, state, data, expires_at, last_update, updated_at)
                SELECT '', 'c' || chat_id || '/u' || user_id, state, data, NULL, X'', updated_at
                FROM tgcluster_conversation WHERE state IS NOT NULL;
            DROP TABLE tgcluster_conversation;
            """)
    }
}
