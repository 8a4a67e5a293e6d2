import BotAPI

/// Whose conversation an update belongs to (python-telegram-bot's `per_chat`, `per_user`,
/// `per_message`): each key has its own state, so two users in one group talk to the bot
/// side by side under `.chatAndUser`, and take turns in one dialogue under `.chat`.
public enum ConversationKey: String, Sendable {
    /// One conversation per chat, whoever writes.
    case chat
    /// One per user, across chats.
    case user
    /// One per user in each chat (the default, as in python-telegram-bot).
    case chatAndUser
    /// One per message the buttons sit under: only button presses belong to it (the entry
    /// point too), so one user can drive several keyboards at once.
    case message

    /// The stored key for `raw`; nil when the update has no such key (an inline query has no
    /// chat), and then the conversation does not take it.
    func key(for raw: RawUpdate) -> String? {
        switch self {
        case .chat: return raw.chatID.map { "c\($0)" }
        case .user: return raw.userID.map { "u\($0)" }
        case .chatAndUser:
            guard let chat = raw.chatID, let user = raw.userID else { return nil }
            return "c\(chat)/u\(user)"
        case .message:
            guard raw.kind == .callbackQuery,
                  let chat = raw.int64(at: "callback_query", "message", "chat", "id"),
                  let message = raw.int64(at: "callback_query", "message", "message_id") else { return nil }
            return "c\(chat)/m\(message)"
        }
    }
}
