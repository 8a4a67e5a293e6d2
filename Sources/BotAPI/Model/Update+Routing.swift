extension Update {
    /// Which kind of update this is: the name of its one optional field that is set.
    public var kind: UpdateKind {
        if message != nil { return .message }
        if editedMessage != nil { return .editedMessage }
        if channelPost != nil { return .channelPost }
        if editedChannelPost != nil { return .editedChannelPost }
        if businessConnection != nil { return .businessConnection }
        if businessMessage != nil { return .businessMessage }
        if editedBusinessMessage != nil { return .editedBusinessMessage }
        if deletedBusinessMessages != nil { return .deletedBusinessMessages }
        if guestMessage != nil { return .guestMessage }
        if messageReaction != nil { return .messageReaction }
        if messageReactionCount != nil { return .messageReactionCount }
        if inlineQuery != nil { return .inlineQuery }
        if chosenInlineResult != nil { return .chosenInlineResult }
        if callbackQuery != nil { return .callbackQuery }
        if shippingQuery != nil { return .shippingQuery }
        if preCheckoutQuery != nil { return .preCheckoutQuery }
        if purchasedPaidMedia != nil { return .purchasedPaidMedia }
        if poll != nil { return .poll }
        if pollAnswer != nil { return .pollAnswer }
        if myChatMember != nil { return .myChatMember }
        if chatMember != nil { return .chatMember }
        if chatJoinRequest != nil { return .chatJoinRequest }
        if chatBoost != nil { return .chatBoost }
        if removedChatBoost != nil { return .removedChatBoost }
        if managedBot != nil { return .managedBot }
        return .unknown
    }

    /// Whose updates this one must stay in order with: the chat it happened in; for a
    /// callback query the chat of its message, else its sender; for inline queries, payments
    /// and other chat-less kinds the user; nil for `poll`.
    ///
    /// The same rule as `UpdateScanner`, written against the typed model: the tests hold the
    /// two against each other.
    public var routingKey: RoutingKey? {
        let message = self.message ?? editedMessage ?? channelPost ?? editedChannelPost
            ?? businessMessage ?? editedBusinessMessage ?? guestMessage
        if let message { return .chat(Int64(message.chat.id)) }
        if let v = deletedBusinessMessages { return .chat(Int64(v.chat.id)) }
        if let v = messageReaction { return .chat(Int64(v.chat.id)) }
        if let v = messageReactionCount { return .chat(Int64(v.chat.id)) }
        if let v = myChatMember { return .chat(Int64(v.chat.id)) }
        if let v = chatMember { return .chat(Int64(v.chat.id)) }
        if let v = chatJoinRequest { return .chat(Int64(v.chat.id)) }
        if let v = chatBoost { return .chat(Int64(v.chat.id)) }
        if let v = removedChatBoost { return .chat(Int64(v.chat.id)) }
        if let v = callbackQuery {
            switch v.message {
            case .message(let m): return .chat(Int64(m.chat.id))
            case .inaccessibleMessage(let m): return .chat(Int64(m.chat.id))
            case .unknown, nil: return .user(Int64(v.from.id))
            }
        }
        if let v = businessConnection { return .user(Int64(v.user.id)) }
        if let v = inlineQuery { return .user(Int64(v.from.id)) }
        if let v = chosenInlineResult { return .user(Int64(v.from.id)) }
        if let v = shippingQuery { return .user(Int64(v.from.id)) }
        if let v = preCheckoutQuery { return .user(Int64(v.from.id)) }
        if let v = purchasedPaidMedia { return .user(Int64(v.from.id)) }
        if let v = managedBot { return .user(Int64(v.user.id)) }
        if let v = pollAnswer {
            if let user = v.user { return .user(Int64(user.id)) }
            if let chat = v.voterChat { return .chat(Int64(chat.id)) }
        }
        return nil
    }
}
