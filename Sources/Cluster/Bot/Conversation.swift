import Foundation
import GRDB

/// A multi-step dialogue's state for one chat and user, kept in the sequencer's store (like
/// python-telegram-bot's ConversationHandler states or aiogram's FSM): it survives restarts
/// and changes in the same transaction as the rest of the update.
///
/// ```swift
/// bot.onText(.serial) { ctx in
///     switch try ctx.conversation.state {
///     case "amount"?: try ctx.conversation.set("recipient", data: ["amount": ctx.text ?? ""])
///     default: ...
///     }
/// }
/// ```
public struct Conversation: Sendable {
    let session: SerialSession

    private var key: (Int64, Int64) {
        get throws {
            guard let chat = session.chatID ?? session.userID else { throw ContextError(message: "this update has no chat for a conversation") }
            return (chat, session.userID ?? chat)
        }
    }

    /// The current state's name; nil when no dialogue is going on.
    public var state: String? {
        get throws {
            let (chat, user) = try key
            return try session.store.access { db in
                try String.fetchOne(db, sql: "SELECT state FROM tgcluster_conversation WHERE chat_id = ? AND user_id = ?", arguments: [chat, user])
            }
        }
    }

    /// Values collected so far.
    public var data: [String: String] {
        get throws {
            let (chat, user) = try key
            let text = try session.store.access { db in
                try String.fetchOne(db, sql: "SELECT data FROM tgcluster_conversation WHERE chat_id = ? AND user_id = ?", arguments: [chat, user])
            }
            guard let text else { return [:] }
            return (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
        }
    }

    /// Moves to `state`; `data` is merged into the values collected so far.
    public func set(_ state: String, data: [String: String] = [:]) throws {
        let (chat, user) = try key
        let merged = try self.data.merging(data) { $1 }
        let json = String(decoding: try JSONEncoder().encode(merged), as: UTF8.self)
        try session.store.access { db in
            try db.execute(sql: """
                INSERT INTO tgcluster_conversation(chat_id, user_id, state, data, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(chat_id, user_id) DO UPDATE SET state = excluded.state, data = excluded.data, updated_at = excluded.updated_at
                """, arguments: [chat, user, state, json, Date().timeIntervalSince1970])
        }
    }

    /// Ends the dialogue: state and data are forgotten.
    public func end() throws {
        let (chat, user) = try key
        try session.store.access { db in
            try db.execute(sql: "DELETE FROM tgcluster_conversation WHERE chat_id = ? AND user_id = ?", arguments: [chat, user])
        }
    }
}
