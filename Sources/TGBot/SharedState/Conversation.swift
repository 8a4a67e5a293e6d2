import Foundation

/// A multi-step dialogue's state for one chat and user, by hand, kept in the sequencer's store:
/// it survives restarts and changes in the same transaction as the rest of the update.
/// `ConversationHandler` declares the states instead, and routes to them.
///
/// ```swift
/// bot.onText(.serial) { ctx in
///     switch try ctx.conversation.state {
///     case "amount"?: try ctx.conversation.set("recipient", data: ["amount": ctx.text ?? ""])
///     default: break
///     }
/// }
/// ```
public struct Conversation: Sendable {
    let effects: any HandlerEffects
    let chat: Int64
    let user: Int64

    /// Kept beside the declared conversations, under the empty name.
    private var key: String { "c\(chat)/u\(user)" }

    /// The current state's name; nil when no dialogue is going on.
    public var state: String? {
        get throws { try effects.dialogue("", key: key)?.state }
    }

    /// Values collected so far.
    public var data: [String: String] {
        get throws { try effects.dialogue("", key: key)?.data ?? [:] }
    }

    /// Moves to `state`; `data` is merged into the values collected so far.
    public func set(_ state: String, data: [String: String] = [:]) throws {
        let merged = try self.data.merging(data) { $1 }
        try effects.setDialogue(DialogueRecord(state: state, data: merged, expiresAt: nil, lastUpdate: Data()), name: "", key: key)
    }

    /// Ends the dialogue: state and data are forgotten.
    public func end() throws {
        try effects.setDialogue(nil, name: "", key: key)
    }
}
