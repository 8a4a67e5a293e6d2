import BotAPI
import Foundation

/// Where handlers are declared: a `Bot`, or a `Router` that a bot includes. The shortcuts are
/// the same on both, and all come down to `add`.
public protocol HandlerRegistry: AnyObject, Sendable {
    /// Adds a handler, after the ones added before it.
    func add(_ entry: HandlerEntry)
}

extension HandlerRegistry {
    /// Adds a handler for the updates `filter` accepts, run in `mode`.
    public func addHandler(_ filter: Filter, mode: Bot.Mode, ordered: Bool, _ handler: @escaping Bot.Handler) {
        add(HandlerEntry(filter: filter, mode: mode, ordered: ordered, handler: handler))
    }

    /// Slow work in the pool, then its result applied to shared state in the sequencer: the
    /// pattern of "fetch a price, then buy at it". `prepare` runs concurrently in a worker
    /// (no shared state; it may wait on the network or render an image); what it returns goes
    /// to `apply`, a serial step in the sequencer, in the chat's order, exactly once, in the
    /// same transaction as its writes; `apply`'s replies leave after the commit. The chat's
    /// next update waits until `apply` has committed.
    ///
    /// ```swift
    /// bot.on(.command("buy"), prepare: { ctx in
    ///     try await Prices.fetch(ctx.arguments.first ?? "")  // seconds, in the pool
    /// }, apply: { ctx, price in                              // one at a time, in order
    ///     try ctx.state.write { db in try Account.debit(db, user: ctx.userID!, by: price) }
    ///     try await ctx.reply("Bought at \(price)")
    /// })
    /// ```
    ///
    /// If the worker running `prepare` dies, another runs it again (so it may run more than
    /// once: it must not change shared state); `apply` runs once. A `prepare` that throws ends
    /// the update there (the error handler gets it); a middleware that stops the update stops
    /// both steps. Middlewares wrap `prepare` only. The result travels as JSON (at most
    /// `Bot.maxPreparedBytes`).
    public func on<Result: Codable & Sendable>(_ filter: Filter,
                                               prepare: @escaping @Sendable (Context) async throws -> Result,
                                               apply: @escaping @Sendable (Context, Result) async throws -> Void) {
        add(HandlerEntry(filter: filter, mode: .concurrent, ordered: true, handler: { ctx in
            let result = try JSONEncoder().encode(try await prepare(ctx))
            guard result.count <= Bot.maxPreparedBytes else {
                throw ContextError(message: "a prepared result of \(result.count) bytes (at most \(Bot.maxPreparedBytes)): keep big data out of it")
            }
            PreparedResult.current?.set(result)
        }, apply: { ctx, data in
            try await apply(ctx, try JSONDecoder().decode(Result.self, from: data))
        }))
    }

    /// `on(.command(name), prepare:apply:)`: a command whose slow work runs in the pool and
    /// whose result is applied in the sequencer.
    public func onCommand<Result: Codable & Sendable>(_ name: String,
                                                      prepare: @escaping @Sendable (Context) async throws -> Result,
                                                      apply: @escaping @Sendable (Context, Result) async throws -> Void) {
        on(.command(name), prepare: prepare, apply: apply)
    }

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
