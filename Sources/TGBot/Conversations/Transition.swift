/// What a conversation step answers: where the conversation goes next (python-telegram-bot's
/// returned state, `ConversationHandler.END`).
public enum Transition<State: Sendable>: Sendable {
    /// On to `state`: the next update of this key goes to that state's handlers.
    case next(State)
    /// Stays where it is (the values collected are kept, the timeout starts again); from an
    /// entry point, no conversation starts.
    case stay
    /// The conversation is over: its state and values are forgotten.
    case end
}
