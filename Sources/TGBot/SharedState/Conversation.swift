import Foundation

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
    let effects: any HandlerEffects
    let chat: Int64
    let user: Int64

    /// The current state's name; nil when no dialogue is going on.
    public var state: String? {
        get throws { try effects.conversation(chat: chat, user: user)?.state }
    }

    /// Values collected so far.
    public var data: [String: String] {
        get throws { try effects.conversation(chat: chat, user: user)?.data ?? [:] }
    }

    /// Moves to `state`; `data` is merged into the values collected so far.
    public func set(_ state: String, data: [String: String] = [:]) throws {
        let merged = try self.data.merging(data) { $1 }
        try effects.setConversation(ConversationRecord(state: state, data: merged), chat: chat, user: user)
    }

    /// Ends the dialogue: state and data are forgotten.
    public func end() throws {
        try effects.setConversation(nil, chat: chat, user: user)
    }
}
