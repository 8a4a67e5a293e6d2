/// A conversation nested in a state of another, its state type erased: what the parent needs
/// of it (its filter for the broker's routing, a way to forget it when the parent leaves the
/// state) and what the bot needs (its timeout, by name).
struct NestedConversation: Sendable {
    let name: String
    /// Every update the nested conversation could take (it is frozen once nested).
    let filter: Filter
    let forget: @Sendable (Context) throws -> Void
    let expire: Bot.ConversationTimeout
    let descendants: @Sendable () -> [NestedConversation]

    init<State>(_ child: ConversationHandler<State>) {
        name = child.name
        filter = child.freeze()
        forget = { ctx in try child.forget(ctx) }
        expire = { ctx, record in try await child.expire(ctx, record) }
        descendants = { child.descendants }
    }
}
