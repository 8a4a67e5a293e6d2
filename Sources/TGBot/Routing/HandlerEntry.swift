/// One handler as declared: what it takes, where it runs and what it does. The
/// `HandlerRegistry` shortcuts make these; a `Bot` puts them in its table, a `Router` keeps
/// them until a bot includes it.
public struct HandlerEntry: Sendable {
    package var filter: Filter
    package var mode: Bot.Mode
    package var ordered: Bool
    /// The handler, or a two-step handler's first step (which leaves its result in
    /// `PreparedResult`).
    package var handler: Bot.Handler
    /// A two-step handler's second step: applies the first step's result (JSON) in the
    /// sequencer. Nil for a one-step handler.
    package var apply: Bot.ApplyStep?

    package init(filter: Filter, mode: Bot.Mode, ordered: Bool, handler: @escaping Bot.Handler, apply: Bot.ApplyStep? = nil) {
        self.filter = filter
        self.mode = mode
        self.ordered = ordered
        self.handler = handler
        self.apply = apply
    }
}
