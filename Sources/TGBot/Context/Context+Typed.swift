import BotAPI

/// Typed views of the update, the same in every mode: decoded once per context on first use
/// (`DecodedUpdate`), nil when the update is of another kind, or does not decode (then
/// `try ctx.update()` says why).
extension Context {
    private var decoded: Update? { try? decodedUpdate.update(raw) }

    /// The message of a message update of any kind: new or edited, in a chat, a channel or a
    /// business account (not the message under a pressed button: see `callbackQuery`).
    public var message: Message? {
        guard let u = decoded else { return nil }
        let messages: [Message?] = [u.message, u.editedMessage, u.channelPost, u.editedChannelPost, u.businessMessage, u.editedBusinessMessage]
        return messages.lazy.compactMap { $0 }.first
    }

    /// The pressed button's query, for `callback_query` updates.
    public var callbackQuery: CallbackQuery? { decoded?.callbackQuery }

    /// The inline query, for `inline_query` updates.
    public var inlineQuery: InlineQuery? { decoded?.inlineQuery }

    /// The chosen inline result, for `chosen_inline_result` updates.
    public var chosenInlineResult: ChosenInlineResult? { decoded?.chosenInlineResult }

    /// Who the update came from: the message's sender, the user who pressed the button, asked
    /// the inline query, answered the poll, joined, paid… (nil for channel posts and polls).
    public var from: User? {
        guard let u = decoded else { return nil }
        if let m = message { return m.from }
        let senders: [User?] = [u.callbackQuery?.from, u.inlineQuery?.from, u.chosenInlineResult?.from, u.shippingQuery?.from,
                                u.preCheckoutQuery?.from, u.pollAnswer?.user, u.myChatMember?.from, u.chatMember?.from,
                                u.chatJoinRequest?.from, u.messageReaction?.user]
        return senders.lazy.compactMap { $0 }.first
    }

    /// The chat the update belongs to: the message's, the pressed button's message's, the
    /// member change's, the join request's, the reaction's.
    public var chat: Chat? {
        guard let u = decoded else { return nil }
        if let m = message { return m.chat }
        if case .message(let m)? = u.callbackQuery?.message { return m.chat }
        if case .inaccessibleMessage(let m)? = u.callbackQuery?.message { return m.chat }
        let chats: [Chat?] = [u.myChatMember?.chat, u.chatMember?.chat, u.chatJoinRequest?.chat, u.messageReaction?.chat]
        return chats.lazy.compactMap { $0 }.first
    }
}
