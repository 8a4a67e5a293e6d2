import BotAPI

/// Where handlers are declared: a `Bot`, or a `Router` that a bot includes. The shortcuts are
/// the same on both, and all come down to `addHandler`.
public protocol HandlerRegistry: AnyObject, Sendable {
    /// Adds a handler for the updates `filter` accepts, run in `mode`.
    func addHandler(_ filter: Filter, mode: Bot.Mode, ordered: Bool, _ handler: @escaping Bot.Handler)
}

extension HandlerRegistry {
    /// Every update `filter` accepts (`.command("start")`, `.text && !.command`, `.photo || .document`).
    public func on(_ filter: Filter, _ mode: Bot.Mode = .concurrent, ordered: Bool = true, _ handler: @escaping Bot.Handler) {
        addHandler(filter, mode: mode, ordered: ordered, handler)
    }

    /// Every update of `kinds` that `predicate` accepts.
    public func on(_ kinds: Set<UpdateKind>, _ mode: Bot.Mode = .concurrent, ordered: Bool = true,
                   where predicate: @escaping @Sendable (RawUpdate) -> Bool = { _ in true }, _ handler: @escaping Bot.Handler) {
        addHandler(Filter("on", kinds: kinds, predicate), mode: mode, ordered: ordered, handler)
    }

    /// Any update `predicate` accepts, of any kind.
    public func on(_ mode: Bot.Mode = .concurrent, ordered: Bool = true, where predicate: @escaping @Sendable (RawUpdate) -> Bool,
                   _ handler: @escaping Bot.Handler) {
        addHandler(Filter("on", predicate), mode: mode, ordered: ordered, handler)
    }

    /// Messages whose text is the command `/<name>` (with or without `@botname` and arguments).
    public func onCommand(_ name: String, _ mode: Bot.Mode = .concurrent, ordered: Bool = true, _ handler: @escaping Bot.Handler) {
        addHandler(.command(name), mode: mode, ordered: ordered, handler)
    }

    /// Text messages that are not commands (`.plainText`: the echo's route, on the hot path).
    public func onText(_ mode: Bot.Mode = .concurrent, ordered: Bool = true, _ handler: @escaping Bot.Handler) {
        addHandler(.plainText, mode: mode, ordered: ordered, handler)
    }

    /// Text messages matching a regular expression (ICU syntax).
    public func onText(matching pattern: String, _ mode: Bot.Mode = .concurrent, ordered: Bool = true, _ handler: @escaping Bot.Handler) {
        addHandler(.text(matching: pattern), mode: mode, ordered: ordered, handler)
    }

    /// Any message (text, photo, document, ...).
    public func onMessage(_ mode: Bot.Mode = .concurrent, ordered: Bool = true, _ handler: @escaping Bot.Handler) {
        addHandler(.message, mode: mode, ordered: ordered, handler)
    }

    /// Callback queries, optionally only those whose data starts with `prefix`.
    public func onCallbackQuery(prefix: String? = nil, _ mode: Bot.Mode = .concurrent, ordered: Bool = true,
                                _ handler: @escaping Bot.Handler) {
        addHandler(.callbackData(prefix: prefix ?? ""), mode: mode, ordered: ordered, handler)
    }

    /// Presses of buttons whose data is a `T` (`CallbackData`), with the value decoded. A
    /// press whose data does not decode as a `T` (another type's, an older format) is not
    /// this handler's: it goes on to the next.
    public func onCallback<T: CallbackData>(_ type: T.Type, _ mode: Bot.Mode = .concurrent, ordered: Bool = true,
                                            where predicate: @escaping @Sendable (T) -> Bool = { _ in true },
                                            _ handler: @escaping @Sendable (Context, T) async throws -> Void) {
        addHandler(.callback(T.self, where: predicate), mode: mode, ordered: ordered) { ctx in
            guard let value = ctx.callbackData(as: T.self) else { throw ContextError(message: "the button's data is not a \(T.self)") }
            try await handler(ctx, value)
        }
    }

    /// Inline queries (`@yourbot text` typed in any chat); answer with `ctx.answerInline`.
    public func onInlineQuery(_ mode: Bot.Mode = .concurrent, _ handler: @escaping Bot.Handler) {
        addHandler(.inlineQuery, mode: mode, ordered: false, handler)
    }
}
