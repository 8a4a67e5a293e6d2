import BotAPI
import Foundation

/// Shortcuts on the chat an update came from: what the bot is doing, and deleting the message
/// the update is about. In a serial handler they go through the outbox, after the commit, like
/// every other call.
extension Context {
    /// Shows `action` ("typing…") in the chat for up to 5 s or until the bot's next message:
    /// worth it before slow work. Throws for an update without a chat.
    public func chatAction(_ action: ChatAction = .typing) async throws {
        guard let chat = chatID else {
            throw ContextError(message: "chatAction() needs a chat; this update is a \(raw.kind.rawValue)")
        }
        try await send(BotMethods.SendChatAction(chatID: .id(chat), action: action.rawValue))
    }

    /// Deletes the message this update is about: the user's message, or the message under a
    /// pressed button. Telegram allows it for the bot's own messages, and in private chats and
    /// groups where the bot may delete, within 48 hours. Throws for an update without one.
    public func delete() async throws {
        let pressed = raw.kind == .callbackQuery
        let chat = pressed ? raw.int64(at: "callback_query", "message", "chat", "id") : raw.int64(at: raw.kind.rawValue, "chat", "id")
        let message = pressed ? raw.int64(at: "callback_query", "message", "message_id") : raw.int64(at: raw.kind.rawValue, "message_id")
        guard let chat, let message else {
            throw ContextError(message: "delete() needs a message; this update is a \(raw.kind.rawValue)")
        }
        try await send(BotMethods.DeleteMessage(chatID: .id(chat), messageID: Int(message)))
    }
}
