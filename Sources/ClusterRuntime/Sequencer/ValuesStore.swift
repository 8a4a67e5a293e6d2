import Foundation
import GRDB

/// The table of `ctx.userData` and `ctx.chatData` (`tgcluster_values`) and the one place its
/// SQL lives: per scope (`u<user>`, `c<chat>`), the values as JSON.
enum ValuesStore {
    static func read(_ db: Database, scope: String) throws -> [String: String] {
        try String.fetchOne(db, sql: "SELECT data FROM tgcluster_values WHERE scope = ?", arguments: [scope]).map(decode) ?? [:]
    }

    /// A value set as this table and `tgcluster_dialogue` keep it: a JSON object of strings
    /// (text that is not one reads as empty).
    static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encode(_ values: [String: String]) throws -> String {
        String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
    }

    /// Stores `data` (an empty set removes the row).
    static func write(_ db: Database, _ data: [String: String], scope: String, now: Date) throws {
        guard !data.isEmpty else {
            try db.execute(sql: "DELETE FROM tgcluster_values WHERE scope = ?", arguments: [scope])
            return
        }
        let json = try encode(data)
        try db.execute(sql: """
            INSERT INTO tgcluster_values(scope, data, updated_at) VALUES (?, ?, ?)
            ON CONFLICT(scope) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
            """, arguments: [scope, json, now.timeIntervalSince1970])
    }

    /// Part of schema v3.
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE tgcluster_values (
                scope TEXT PRIMARY KEY,          -- u<user> or c<chat>
                data TEXT NOT NULL,              -- JSON object of strings
                updated_at REAL NOT NULL
            )
            """)
    }
}
