import Foundation
import GRDB
import TGBot

/// The conversations table (`tgcluster_conversation`) and the one place its SQL lives: per
/// chat and user, a dialogue's state and the values collected (JSON).
enum ConversationStore {
    static func read(_ db: Database, chat: Int64, user: Int64) throws -> ConversationRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT state, data FROM tgcluster_conversation WHERE chat_id = ? AND user_id = ?",
                                         arguments: [chat, user]) else { return nil }
        let text: String = row["data"] ?? "{}"
        let data = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
        return ConversationRecord(state: row["state"], data: data)
    }

    /// Stores `record`, or forgets the dialogue when it is nil.
    static func write(_ db: Database, _ record: ConversationRecord?, chat: Int64, user: Int64, now: Date) throws {
        guard let record else {
            try db.execute(sql: "DELETE FROM tgcluster_conversation WHERE chat_id = ? AND user_id = ?", arguments: [chat, user])
            return
        }
        let json = String(decoding: try JSONEncoder().encode(record.data), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO tgcluster_conversation(chat_id, user_id, state, data, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(chat_id, user_id) DO UPDATE SET state = excluded.state, data = excluded.data, updated_at = excluded.updated_at
            """, arguments: [chat, user, record.state, json, now.timeIntervalSince1970])
    }
}
